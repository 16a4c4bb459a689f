/**
 * Runs the inference in a worker thread: the checker takes seconds of CPU on a real app, and the
 * process that asks (the gateway in `dev`) keeps serving meanwhile.
 */
import { Worker } from "node:worker_threads";
import type { InferredReturns } from "./infer_returns.ts";
import { inferenceKey, readCached, writeCached } from "./cache.ts";

/** Longest an inference may take before it is abandoned (the worker is terminated). */
export const INFERENCE_TIMEOUT_MS = 120_000;

type WorkerAnswer = ({ ok: true } & InferredReturns) | { ok: false; message: string };

/**
 * Infers the result types of `DIR/convex` off the calling thread, or answers from the cache
 * when the folder is unchanged (see cache.ts; `useCache: false` always infers, and stores
 * the result for later).
 * @throws Error when the worker fails, exits early or exceeds `timeoutMs`.
 */
export async function inferReturnsOffThread(
  dir: string,
  options: { timeoutMs?: number; useCache?: boolean } = {},
): Promise<InferredReturns> {
  const key = inferenceKey(dir);
  const cached = options.useCache === false ? null : readCached(key);
  if (cached !== null) return cached;
  const result = await inferInWorker(dir, options.timeoutMs ?? INFERENCE_TIMEOUT_MS);
  writeCached(key, result);
  return result;
}

function inferInWorker(dir: string, timeoutMs: number): Promise<InferredReturns> {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: { dir } });
  return new Promise<InferredReturns>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`Type inference took longer than ${timeoutMs} ms`));
      void worker.terminate();
    }, timeoutMs);
    timer.unref();
    const settle = (): void => {
      clearTimeout(timer);
      void worker.terminate();
    };
    worker.once("message", (answer: WorkerAnswer) => {
      settle();
      if (answer.ok) resolve({ returns: answer.returns, fallbacks: answer.fallbacks });
      else reject(new Error(`Type inference failed: ${answer.message}`));
    });
    worker.once("error", (error) => {
      settle();
      reject(new Error(`Type inference failed: ${error.message}`));
    });
    worker.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Type inference stopped (worker exit code ${code})`));
    });
  });
}
