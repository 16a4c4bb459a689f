/**
 * Inference results cached by content: the key hashes every file under `convex/` (with
 * `_generated/` and `tsconfig.json`), the folder's path, the versions of `typescript` and
 * `convex`, the `@types/node` the folder resolves (program.ts includes it) and the inference
 * code itself (an upgrade of this package may infer differently), so a restart or
 * a second process on an unchanged app answers at once instead of re-running the checker.
 * Files are content-addressed in the OS temp folder (written atomically), so concurrent
 * processes never see a partial entry. Types imported from outside `convex/` are not part of
 * the key (the `dev` watcher does not watch them either).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { InferredReturns } from "./infer_returns.ts";
import { writeFileAtomically } from "./user_cache.js";

const CACHE_DIR = path.join(os.tmpdir(), "convex-graphql-inference");
/** Bumped whenever the shape of a cached entry, or what inference answers, changes. */
const FORMAT = 5;

/**
 * The code that infers: this folder's modules and the shared `lib/` they import. A new version of
 * it may answer differently for the same app, so its content is part of every key (hashed once).
 */
const INFERENCE_CODE = [
  path.dirname(fileURLToPath(import.meta.url)),
  fileURLToPath(new URL("../../lib", import.meta.url)),
];
let inferenceCodeHash: string | undefined;

function codeHash(): string {
  if (inferenceCodeHash !== undefined) return inferenceCodeHash;
  const hash = createHash("sha256");
  for (const dir of INFERENCE_CODE) addFiles(hash, dir, dir);
  return (inferenceCodeHash = hash.digest("hex"));
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version?: string }).version ?? "?";
  } catch {
    return "?";
  }
}

function addFiles(hash: ReturnType<typeof createHash>, root: string, dir: string): void {
  const entries = fs.readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) addFiles(hash, root, full);
    else if (entry.isFile()) {
      hash.update(`${path.relative(root, full)}\u0000`);
      hash.update(fs.readFileSync(full));
      hash.update("\u0000");
    }
  }
}

/**
 * The `@types/node` nearest to `convexDir` (where tsc's default type roots find it), with its
 * version, or "none": installing, upgrading or removing it changes what inference sees.
 */
function nodeTypes(convexDir: string): string {
  for (let dir = convexDir; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "node_modules", "@types", "node", "package.json");
    try {
      const { version } = JSON.parse(fs.readFileSync(file, "utf8")) as { version?: string };
      return `${file} ${version ?? "?"}`;
    } catch {
      if (path.dirname(dir) === dir) return "none";
    }
  }
}

/** The cache key of `DIR/convex` as it is now. */
export function inferenceKey(dir: string): string {
  const convexDir = path.resolve(dir, "convex");
  const hash = createHash("sha256");
  hash.update(`${FORMAT} ${packageVersion("typescript")} ${packageVersion("convex")}\u0000`);
  hash.update(`${codeHash()}\u0000`);
  // Where the folder is counts too: its tsconfig's `extends` and its imports resolve from there
  // (a copy elsewhere, without node_modules, infers differently).
  hash.update(`${convexDir}\u0000${nodeTypes(convexDir)}\u0000`);
  addFiles(hash, convexDir, convexDir);
  return hash.digest("hex");
}

/** The cached result for `key`, or null. */
export function readCached(key: string): InferredReturns | null {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(CACHE_DIR, `${key}.json`), "utf8"),
    ) as InferredReturns;
  } catch {
    return null;
  }
}

/** Stores `result` under `key` (best effort: a cache that cannot be written is skipped). */
export function writeCached(key: string, result: InferredReturns): void {
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    writeFileAtomically(path.join(CACHE_DIR, `${key}.json`), JSON.stringify(result));
  } catch {
    // Read-only temp folder: inference simply runs every time.
  }
}

/** Removes the cached result for `key`, if any (the derivation benchmark's cold runs). */
export function forgetCached(key: string): void {
  fs.rmSync(path.join(CACHE_DIR, `${key}.json`), { force: true });
}
