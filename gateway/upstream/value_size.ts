/**
 * A rough estimate of the heap a Convex value (as the official client hands it over) holds, for
 * caches bounded in bytes. Iterative: a deep value cannot exhaust the stack.
 */

/** Per value: a heap object header and a pointer to it. */
const VALUE_OVERHEAD = 16;

function scalarBytes(value: unknown): number {
  if (typeof value === "string") return VALUE_OVERHEAD + 2 * value.length;
  if (value instanceof ArrayBuffer) return VALUE_OVERHEAD + value.byteLength;
  if (typeof value === "bigint") return VALUE_OVERHEAD + 16;
  return VALUE_OVERHEAD;
}

/** Estimated bytes of `value`. */
export function estimateValueBytes(value: unknown): number {
  let bytes = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== "object" || next === null || next instanceof ArrayBuffer) {
      bytes += scalarBytes(next);
      continue;
    }
    bytes += VALUE_OVERHEAD;
    if (Array.isArray(next)) {
      for (const element of next) pending.push(element);
      continue;
    }
    for (const [key, field] of Object.entries(next)) {
      bytes += scalarBytes(key);
      pending.push(field);
    }
  }
  return bytes;
}
