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
import os from "node:os";
import path from "node:path";
import vm from "node:vm";

const require = createRequire(import.meta.url);

/** Per user: a code cache is code, so nobody else may write it. */
const CACHE_DIR = path.join(os.tmpdir(), `convex-graphql-code-cache-${os.userInfo().uid}`);

/** @type {{ script: vm.Script, file: string, fresh: boolean } | null} */
let loaded = null;

function cacheFile(sourceFile) {
  const { version } = require("typescript/package.json");
  const size = fs.statSync(sourceFile).size;
  const key = `typescript-${version}-${size}-node-${process.version}-${process.arch}`;
  return path.join(CACHE_DIR, `${key}.bin`);
}

/** True when the cache folder is this user's and nobody else can write in it. */
function trustedCacheDir() {
  try {
    const stat = fs.statSync(CACHE_DIR);
    return stat.isDirectory() && stat.uid === os.userInfo().uid && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function readCache(file) {
  if (!trustedCacheDir()) return undefined;
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Loads `typescript` into `require`'s cache (once per thread) and returns it. */
export function loadTypescript() {
  const sourceFile = require.resolve("typescript");
  if (require.cache[sourceFile] !== undefined) return require(sourceFile);
  const file = cacheFile(sourceFile);
  const cachedData = readCache(file);
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
  loaded = { script, file, fresh: cachedData === undefined || script.cachedDataRejected === true };
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
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
    if (!trustedCacheDir()) return;
    const temporary = `${loaded.file}.${process.pid}.${Date.now()}.tmp`;
    const data = loaded.script.createCachedData();
    fs.writeFileSync(temporary, data, { mode: 0o600 });
    fs.renameSync(temporary, loaded.file);
  } catch {
    // A read-only temp folder: TypeScript is compiled every time.
  }
}
