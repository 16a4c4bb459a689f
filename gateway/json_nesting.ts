/**
 * A depth guard for JSON bytes (request bodies, graphql-ws frames), run before `JSON.parse`:
 * one linear scan in constant space. Brackets inside strings do not count; UTF-8 continuation
 * bytes never equal the ASCII bytes it looks for.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether the JSON in `bytes` nests arrays and objects deeper than `limit`. */
export function jsonBytesNestBeyond(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      depth += 1; // [ {
      if (depth > limit) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth -= 1; // ] }
    }
  }
  return false;
}
