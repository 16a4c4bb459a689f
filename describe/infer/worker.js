// A worker thread that infers an app's result types (describe/infer/off_thread.ts starts it), so
// the TypeScript checker never blocks the event loop that serves GraphQL. The project runs
// TypeScript without a build step: tsx's loader is registered in this thread first.
//
// It answers one `{ id, dir }` message after another, and keeps the last program of each app
// folder with its parsed files: inferring again after an edit parses only the changed files.
import { register } from "tsx/esm/api";
import { parentPort } from "node:worker_threads";

register();
const { inferReturns } = await import("./infer_returns.ts");
const { SourceFileCache } = await import("./compiler_host.ts");

/** Per app folder: the last program and its parsed files. */
const apps = new Map();

function infer(dir) {
  const app = apps.get(dir) ?? { program: undefined, files: new SourceFileCache() };
  try {
    const { returns, fallbacks, program } = inferReturns(dir, app.program, app.files);
    apps.set(dir, { program, files: app.files });
    return { ok: true, returns, fallbacks };
  } catch (error) {
    apps.delete(dir);
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

parentPort.on("message", ({ id, dir }) => parentPort.postMessage({ id, ...infer(dir) }));
parentPort.postMessage({ ready: true });
