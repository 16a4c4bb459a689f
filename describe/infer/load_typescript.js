// Loads the `typescript` package (one 9 MB CommonJS file) for the inference worker with a V8 code
// cache: compiling it is most of the half second `require("typescript")` takes in a new thread.
// The cache holds the bytecode of every function the first inference ran, so later processes skip
// compiling them; V8 checks it against the source and its own version and flags, and rejects
// (recompiles) a cache that does not match. The module goes into `require`'s cache, so
// `require("typescript")` anywhere in the thread returns it.
//
// Plain JavaScript, because it runs before tsx's loader is registered in the worker.
import fs from "node:fs";
import { createRequire, Module } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { readUserCache, writeUserCache } from "./user_cache.js";

const require = createRequire(import.meta.url);

/** @type {{ script: vm.Script, name: string, fresh: boolean } | null} */
let loaded = null;

/** The cache file's name: V8 would reject another TypeScript's or Node's cache anyway. */
function cacheName(sourceFile) {
  const { version } = require("typescript/package.json");
  const size = fs.statSync(sourceFile).size;
  return `typescript-${version}-${size}-node-${process.version}-${process.arch}.bin`;
}

/** Loads `typescript` into `require`'s cache (once per thread) and returns it. */
export function loadTypescript() {
  const sourceFile = require.resolve("typescript");
  if (require.cache[sourceFile] !== undefined) return require(sourceFile);
  const name = cacheName(sourceFile);
  const cachedData = readUserCache(name);
  const script = new vm.Script(Module.wrap(fs.readFileSync(sourceFile, "utf8")), {
    filename: sourceFile,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  const module = new Module(sourceFile);
  module.filename = sourceFile;
  module.paths = Module._nodeModulePaths(path.dirname(sourceFile));
  const run = script.runInThisContext();
  run.call(
    module.exports,
    module.exports,
    createRequire(sourceFile),
    module,
    sourceFile,
    path.dirname(sourceFile),
  );
  module.loaded = true;
  require.cache[sourceFile] = module;
  loaded = { script, name, fresh: cachedData === undefined || script.cachedDataRejected === true };
  return module.exports;
}

/** True when this thread's TypeScript was compiled from the code cache (V8 accepted it). */
export function typescriptFromCodeCache() {
  return loaded !== null && !loaded.fresh;
}

/**
 * Writes the code cache after an inference (then it holds the functions inference needs), when
 * this thread compiled TypeScript without one. Best effort, written atomically.
 */
export function saveTypescriptCodeCache() {
  if (loaded === null || !loaded.fresh) return;
  loaded.fresh = false;
  writeUserCache(loaded.name, loaded.script.createCachedData());
}
