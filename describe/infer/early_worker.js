// The inference worker, started by the CLI before anything else loads (cli/bin.js): the worker's
// start-up (loading TypeScript and its own modules) then overlaps the loading of the CLI's own modules, which
// begins with registering tsx (a quarter of a second). off_thread.ts adopts it as the process's
// inference worker, or ends it when the app's result is cached.
//
// Plain JavaScript, because it runs before tsx's loader is registered.
import { Worker } from "node:worker_threads";

/** @type {{ worker: Worker, failure: Error | null, exitCode: number | null } | null} */
let early = null;

/** Starts the worker (once); it never keeps the process alive by itself. */
export function startEarlyWorker() {
  if (early !== null) return;
  const worker = new Worker(new URL("./worker.js", import.meta.url));
  worker.unref();
  const started = { worker, failure: null, exitCode: null };
  // Until it is adopted, a failure is recorded here (an unheard `error` would end the process).
  worker.once("error", (error) => (started.failure = error));
  worker.once("exit", (code) => (started.exitCode = code));
  early = started;
}

/**
 * The early worker, handed over once (null when none was started or it already failed): its
 * new owner listens to it from now on.
 */
export function takeEarlyWorker() {
  const taken = early;
  early = null;
  if (taken === null) return null;
  taken.worker.removeAllListeners("error");
  taken.worker.removeAllListeners("exit");
  if (taken.failure === null && taken.exitCode === null) return taken.worker;
  void taken.worker.terminate();
  return null;
}

/** Ends the early worker if nobody took it (the app's result was cached). */
export function dropEarlyWorker() {
  const worker = takeEarlyWorker();
  if (worker !== null) void worker.terminate();
}
