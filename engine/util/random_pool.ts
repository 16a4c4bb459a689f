/**
 * Cheap random bytes for ids, request ids and seeds: one `randomFillSync` call fills a pool that
 * serves many requests (a syscall per document id showed up in commit profiles).
 */
import { randomFillSync } from "node:crypto";

const POOL_SIZE = 64 * 1024;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

/** `size` cryptographically random bytes (a view into the pool: copy it if you keep it). */
export function randomBytesFromPool(size: number): Buffer {
  if (size > POOL_SIZE) return randomFillSync(Buffer.alloc(size));
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + size);
  offset += size;
  return bytes;
}
