/**
 * Where each value of an encoded index key ends, so a key can be looked up by each of its tuple
 * prefixes. Scalars are scanned directly; keys holding arrays or objects are decoded and
 * re-encoded (rare in index keys).
 */
import { decodeIndexKey, encodeValue, type IndexKey } from "../values/index_key.ts";

const INT64_WIDTHS: Record<number, number> = {
  4: 8,
  5: 4,
  6: 2,
  7: 1,
  8: 0,
  9: 1,
  10: 2,
  11: 4,
  12: 8,
};

/** The end offset of the escaped, 0x00-terminated byte string starting at `offset`. */
function escapedEnd(key: IndexKey, offset: number): number {
  let i = offset;
  for (;;) {
    const zero = key.indexOf("\x00", i);
    if (zero === -1) return -1;
    if (key.charCodeAt(zero + 1) === 0xff) {
      i = zero + 2;
      continue;
    }
    return zero + 1;
  }
}

function slowBoundaries(key: IndexKey): number[] {
  const boundaries: number[] = [];
  let offset = 0;
  for (const value of decodeIndexKey(key)) {
    offset += encodeValue(value).length;
    boundaries.push(offset);
  }
  return boundaries;
}

/** End offsets of each top-level value of `key` (the last one is `key.length`). */
export function tupleBoundaries(key: IndexKey): number[] {
  const boundaries: number[] = [];
  let offset = 0;
  while (offset < key.length) {
    const tag = key.charCodeAt(offset);
    let end: number;
    if (tag === 0x01 || tag === 0x03 || tag === 0x0e || tag === 0x0f) end = offset + 1;
    else if (tag >= 0x04 && tag <= 0x0c) end = offset + 1 + (INT64_WIDTHS[tag] ?? 0);
    else if (tag === 0x0d) end = offset + 9;
    else if (tag === 0x10 || tag === 0x11) end = escapedEnd(key, offset + 1);
    else return slowBoundaries(key);
    if (end === -1 || end > key.length) return slowBoundaries(key);
    boundaries.push(end);
    offset = end;
  }
  return boundaries;
}
