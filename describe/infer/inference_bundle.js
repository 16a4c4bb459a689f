// The inference modules (app_inference.ts and what it imports) for the inference worker, as one
// JavaScript bundle built with esbuild and imported from memory: the worker then needs no
// TypeScript loader, whose registration (a hooks thread of its own) and per-file transforms cost
// a quarter to a third of a second of every cold start. The bundle is cached in the per-user
// cache folder, keyed by the content of every file it was built from (esbuild's list), so an
// unchanged tree imports it without running esbuild at all.
//
// Plain JavaScript, because it runs before any TypeScript loader.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readUserCache, writeUserCache } from "./user_cache.js";

const ENTRY = fileURLToPath(new URL("./app_inference.ts", import.meta.url));
const ROOT = path.resolve(path.dirname(ENTRY), "../..");
const CACHE_NAME = "inference-modules.json";

/** The hash of `inputs`' contents (paths relative to the package root), or null if one is gone. */
function contentHash(inputs) {
  const hash = createHash("sha256");
  hash.update(`${process.version}\0`);
  for (const input of inputs) {
    try {
      hash
        .update(`${input}\0`)
        .update(fs.readFileSync(path.join(ROOT, input)))
        .update("\0");
    } catch {
      return null;
    }
  }
  return hash.digest("hex");
}

/** The cached bundle when every file it was built from is unchanged, else null. */
function cachedBundle() {
  try {
    const cached = JSON.parse(readUserCache(CACHE_NAME)?.toString("utf8") ?? "null");
    if (cached?.root !== ROOT || contentHash(cached.inputs) !== cached.hash) return null;
    return cached.code;
  } catch {
    return null;
  }
}

async function buildBundle() {
  const esbuild = await import("esbuild");
  const built = await esbuild.build({
    entryPoints: [ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
    metafile: true,
    logLevel: "silent",
    // `typescript` is already in require's cache (load_typescript.js).
    external: ["typescript"],
    // Every bundled module that reads `import.meta.url` lives in describe/infer/ (typescript.ts,
    // compiler_host.ts): they resolve packages and the package root from there.
    define: { "import.meta.url": JSON.stringify(new URL("./worker.js", import.meta.url).href) },
  });
  const code = built.outputFiles[0].text;
  const inputs = Object.keys(built.metafile.inputs).sort();
  const hash = contentHash(inputs);
  if (hash !== null) writeUserCache(CACHE_NAME, JSON.stringify({ root: ROOT, inputs, hash, code }));
  return code;
}

/** Whether this thread's bundle came from the cache (tests). */
let fromCache = false;

/** Imports the inference modules (the namespace of app_inference.ts). */
export async function importInferenceModules() {
  const cached = cachedBundle();
  fromCache = cached !== null;
  const code = cached ?? (await buildBundle());
  const source = `${code}\n//# sourceURL=${ENTRY}.bundle.js`;
  return import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);
}

/** True when the last `importInferenceModules` used the cached bundle. */
export function inferenceModulesFromCache() {
  return fromCache;
}
