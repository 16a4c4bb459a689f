// A worker thread that infers an app's result types (describe/infer/off_thread.ts starts it), so
// the TypeScript checker never blocks the event loop that serves GraphQL.
//
// It answers one `{ id, dir }` message after another, keeping one AppInference per app folder:
// inferring again after an edit parses only the changed files and checks only the modules they
// can affect. `{ prepare: dir }` (no answer) parses and binds the app's files ahead of a request.
import { parentPort } from "node:worker_threads";
import { loadTypescript, saveTypescriptCodeCache } from "./load_typescript.js";
import { importInferenceModules } from "./inference_bundle.js";

// TypeScript first (from its code cache), then the inference modules (one cached bundle), which
// find it in require's cache: no TypeScript loader in this thread.
loadTypescript();
const { AppInference } = await importInferenceModules();

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
    const { returns, args, fallbacks, kept } = appOf(dir).infer();
    return { ok: true, returns, args, fallbacks, ...(kept === undefined ? {} : { kept }) };
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
