// Types of user_cache.js (plain JavaScript: the inference worker uses it before any loader).

/** The cached file `name`'s bytes (per-user cache folder), or undefined. */
export function readUserCache(name: string): Buffer | undefined;
/** Writes `data` to `file` through a temporary file and a rename. Throws what `fs` throws. */
export function writeFileAtomically(file: string, data: string | Uint8Array, mode?: number): void;
/** Stores `data` as `name` in the per-user cache folder (mode 0600), atomically; best effort. */
export function writeUserCache(name: string, data: string | Uint8Array): void;
