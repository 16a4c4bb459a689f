// A worker thread that infers an app's result types (describe/infer/off_thread.ts starts it), so
// the TypeScript checker never blocks the event loop that serves GraphQL. The project runs
// TypeScript without a build step: tsx's loader is registered in this thread first.
//
// It answers one `{ id, dir }` message after another, keeping one AppInference per app folder:
// inferring again after an edit parses only the changed files and checks only the modules they
// can affect. `{ prepare: dir }` (no answer) parses and binds the app's files ahead of a request.
import { parentPort } from "node:worker_threads";
import { loadTypescript, saveTypescriptCodeCache } from "./load_typescript.js";

// TypeScript's 9 MB file loads before tsx's hooks are in place: through them it costs twice as
// much (each require is a round trip to the hooks thread, and source maps index the file).
// typescript.ts then finds it in the require cache.
loadTypescript();
const { register } = await import("tsx/esm/api");
register();
const { AppInference } = await import("./app_inference.ts");

/** Per app folder. */
const apps = new Map();

function appOf(dir) {
  let app = apps.get(dir);
  if (app === undefined) {
    app = new AppInference(dir);
    apps.set(dir, app);
  }
  return app;
}

function infer(dir) {
  try {
    const { returns, fallbacks } = appOf(dir).infer();
    return { ok: true, returns, fallbacks };
  } catch (error) {
    apps.delete(dir);
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function prepare(dir) {
  try {
    appOf(dir).prepare();
  } catch {
    apps.delete(dir); // the request that follows says why
  }
}

parentPort.on("message", (message) => {
  if ("prepare" in message) prepare(message.prepare);
  else {
    const answer = infer(message.dir);
    // Now it holds the functions inference compiled; before answering, as a CLI exits then.
    if (answer.ok) saveTypescriptCodeCache();
    parentPort.postMessage({ id: message.id, ...answer });
  }
});
parentPort.postMessage({ ready: true });
