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
  const start = take(size);
  return pool.subarray(start, start + size);
}

/** `size` random bytes as hex digits (read from the pool without a view). */
export function randomHexFromPool(size: number): string {
  if (size > POOL_SIZE) return randomBytesFromPool(size).toString("hex");
  const start = take(size);
  return pool.toString("hex", start, start + size);
}

/** A random unsigned 32-bit integer (read from the pool without a view). */
export function randomUint32FromPool(): number {
  return pool.readUInt32LE(take(4));
}

/** Reserves `size` (at most POOL_SIZE) bytes of the pool, refilled when spent: their offset. */
function take(size: number): number {
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    offset = 0;
  }
  const start = offset;
  offset += size;
  return start;
}
