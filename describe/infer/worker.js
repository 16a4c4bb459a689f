// A worker thread that infers an app's result types (describe/infer/off_thread.ts starts it), so
// the TypeScript checker never blocks the event loop that serves GraphQL. The project runs
// TypeScript without a build step: tsx's loader is registered in this thread first.
import { register } from "tsx/esm/api";
import { parentPort, workerData } from "node:worker_threads";

register();
const { inferReturns } = await import("./infer_returns.ts");
try {
  const { returns, fallbacks } = inferReturns(workerData.dir);
  parentPort.postMessage({ ok: true, returns, fallbacks });
} catch (error) {
  parentPort.postMessage({
    ok: false,
    message: error instanceof Error ? error.message : String(error),
  });
}
