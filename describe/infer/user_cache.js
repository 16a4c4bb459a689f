// The inference worker's per-user cache folder in the OS temp folder: TypeScript's V8 code cache
// and the inference modules' bundle, both code, so the folder must be this user's and writable by
// nobody else (it is created 0700; a folder failing the check is neither read nor written).
// Files are written atomically. Best effort: a cache that cannot be used is skipped.
//
// Plain JavaScript, because it runs before any TypeScript loader.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const CACHE_DIR = path.join(os.tmpdir(), `convex-graphql-code-cache-${os.userInfo().uid}`);

/** True when the cache folder is this user's and nobody else can write in it. */
function trustedCacheDir() {
  try {
    const stat = fs.statSync(CACHE_DIR);
    return stat.isDirectory() && stat.uid === os.userInfo().uid && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The cached file `name`'s bytes, or undefined. */
export function readUserCache(name) {
  if (!trustedCacheDir()) return undefined;
  try {
    return fs.readFileSync(path.join(CACHE_DIR, name));
  } catch {
    return undefined;
  }
}

/**
 * Writes `data` to `file` through a temporary file and a rename, so that a concurrent reader
 * sees the old content or the new, never part of it. Throws what `fs` throws.
 */
export function writeFileAtomically(file, data, mode = 0o644) {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, data, { mode });
  fs.renameSync(temporary, file);
}

/** Stores `data` as `name` (mode 0600), atomically. */
export function writeUserCache(name, data) {
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
    if (!trustedCacheDir()) return;
    writeFileAtomically(path.join(CACHE_DIR, name), data, 0o600);
  } catch {
    // A read-only temp folder: the work is done again next time.
  }
}
