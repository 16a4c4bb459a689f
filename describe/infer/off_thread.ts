/**
 * Runs the inference in a worker thread: the checker takes seconds of CPU on a real app, and the
 * process that asks (the gateway in `dev`) keeps serving meanwhile. One worker per process serves
 * every inference in turn and stays up for `WORKER_IDLE_MS` after the last, so `dev`'s
 * re-derivation after an edit parses only the changed files (worker.js); it never keeps the
 * process alive.
 */
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { InferredReturns } from "./infer_returns.ts";
import { inferenceKey, readCached, writeCached } from "./cache.ts";
import { dropEarlyWorker, takeEarlyWorker } from "./early_worker.js";

/** Longest an inference may take before it is abandoned (the worker is terminated). */
export const INFERENCE_TIMEOUT_MS = 120_000;

/** How long the worker (and its parsed files, ~100 MB on a real app) outlives its last use. */
const WORKER_IDLE_MS = 5 * 60_000;

type WorkerAnswer = { id: number } & (
  ({ ok: true } & InferredReturns) | { ok: false; message: string }
);

export interface OffThreadOptions {
  /** @default 120_000 // ms */
  readonly timeoutMs?: number;
  /** Answer from the on-disk cache when `convex/` is unchanged. @default true */
  readonly useCache?: boolean;
  /** Start a new worker for this inference (a cold start, as a new process has). @default false */
  readonly freshWorker?: boolean;
}

/**
 * Infers the result types of `DIR/convex` off the calling thread, or answers from the cache
 * when the folder is unchanged (see cache.ts; `useCache: false` always infers, and stores
 * the result for later).
 * @throws Error when the worker fails, exits early or exceeds `timeoutMs`.
 */
export async function inferReturnsOffThread(
  dir: string,
  options: OffThreadOptions = {},
): Promise<InferredReturns> {
  const key = inferenceKey(dir);
  const cached = options.useCache === false ? null : readCached(key);
  if (cached !== null) return cached;
  if (options.freshWorker === true) shared?.stop();
  const worker = (shared ??= new InferenceWorker());
  const result = await worker.infer(path.resolve(dir), options.timeoutMs ?? INFERENCE_TIMEOUT_MS);
  // Results kept from before a type error are this worker's memory, not what the files give.
  if ((result.kept ?? []).length === 0) writeCached(key, result);
  return result;
}

/**
 * Starts the process's inference worker now (or adopts the one cli/bin.js started) and has it
 * parse and bind `DIR/convex`, so that the app's first inference only checks. A CLI calls it
 * first thing: the worker's start-up and the parsing then overlap the loading of the CLI's own
 * modules. When the result is cached it only ends an early worker. Never keeps the process
 * alive.
 */
export function prepareInference(dir: string): void {
  if (readCached(inferenceKey(dir)) !== null) {
    dropEarlyWorker();
    return;
  }
  (shared ??= new InferenceWorker()).prepare(path.resolve(dir));
}

let shared: InferenceWorker | null = null;

/** The process's inference worker; inferences run one at a time, in order. */
class InferenceWorker {
  /** The one cli/bin.js started, when there is one (see early_worker.js). */
  private readonly worker =
    takeEarlyWorker() ?? new Worker(new URL("./worker.js", import.meta.url));
  private readonly pending = new Map<number, (answer: WorkerAnswer | Error) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor() {
    this.worker.unref();
    this.worker.on("message", (answer: WorkerAnswer | { ready: true }) => {
      if ("id" in answer) this.pending.get(answer.id)?.(answer);
    });
    this.worker.once("error", (error) => this.fail(`Type inference failed: ${error.message}`));
    this.worker.once("exit", (code) =>
      this.fail(`Type inference stopped (worker exit code ${code})`),
    );
  }

  /** Parses and binds the app's files; the next inference of `dir` waits for it. */
  prepare(dir: string): void {
    this.worker.postMessage({ prepare: dir });
    this.scheduleIdleStop(); // ends it, with its parsed files, if no inference ever comes
  }

  infer(dir: string, timeoutMs: number): Promise<InferredReturns> {
    const run = this.queue.then(() => this.request(dir, timeoutMs));
    this.queue = run.catch(() => {});
    return run;
  }

  private request(dir: string, timeoutMs: number): Promise<InferredReturns> {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    // Keeps the process alive while it works (a CLI awaiting it has nothing else running).
    this.worker.ref();
    const id = this.nextId++;
    return new Promise<InferredReturns>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Type inference took longer than ${timeoutMs} ms`));
        this.stop();
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        this.pending.delete(id);
        this.scheduleIdleStop();
        if (answer instanceof Error) reject(answer);
        else if (answer.ok) {
          const { returns, args, fallbacks, kept } = answer;
          resolve({
            returns,
            args,
            fallbacks,
            ...(kept !== undefined && kept.length > 0 ? { kept } : {}),
          });
        } else reject(new Error(`Type inference failed: ${answer.message}`));
      });
      this.worker.postMessage({ id, dir });
    });
  }

  private scheduleIdleStop(): void {
    if (this.pending.size > 0) return;
    this.worker.unref();
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), WORKER_IDLE_MS);
    this.idleTimer.unref();
  }

  /** Ends the worker; inferences in progress fail. */
  stop(): void {
    if (shared === this) shared = null;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.fail("Type inference stopped");
    void this.worker.terminate();
  }

  private fail(message: string): void {
    if (shared === this) shared = null;
    for (const settle of [...this.pending.values()]) settle(new Error(message));
  }
}
