/**
 * Depth guards for JSON, shared by engine/ and gateway/: both run before anything recurses into
 * the input (`JSON.parse` of a text nested a million levels costs far more than its bytes; every
 * later walk of such a value would exhaust the stack). Each is one linear pass in constant stack.
 */

/** Convex's limit on how deeply arrays and objects nest in any value (`MAX_NESTING`, size.rs). */
export const MAX_VALUE_NESTING = 64;

/**
 * Convex's `TooNestedError` message. Convex checks the limit as it builds a value from its leaves
 * up, so the level it reports is always the first one past the limit.
 */
export const TOO_NESTED_MESSAGE = `Value is too nested (nested ${MAX_VALUE_NESTING + 1} levels deep > maximum nesting ${MAX_VALUE_NESTING})`;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text (a string, or its UTF-8 bytes) nests arrays and objects deeper than `limit`.
 * Brackets inside strings do not count; UTF-8 continuation bytes never equal the ASCII it seeks.
 */
export function jsonTextNestsBeyond(text: string | Uint8Array, limit: number): boolean {
  const codeAt =
    typeof text === "string"
      ? (index: number) => text.charCodeAt(index)
      : (index: number) => text[index];
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = codeAt(index);
    if (inString) {
      if (code === BACKSLASH) index += 1;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth += 1; // [ {
      if (depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth -= 1; // ] }
    }
  }
  return false;
}

/** Whether `json` is an encoded leaf (`{"$integer": ...}`, `{"$bytes": ...}`, ...). */
function isEncodedLeaf(json: object): boolean {
  const keys = Object.keys(json);
  return keys.length === 1 && keys[0]?.startsWith("$") === true;
}

/**
 * Whether a parsed value in Convex's JSON encoding nests deeper than `limit` (the outermost array
 * or object is level 1; encoded leaves count as scalars). Iterative; stops at the first level past
 * the limit.
 */
export function jsonValueNestsBeyond(json: unknown, limit: number = MAX_VALUE_NESTING): boolean {
  const stack: Array<{ readonly value: unknown; readonly depth: number }> = [
    { value: json, depth: 0 },
  ];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    if (typeof value !== "object" || value === null) continue;
    if (!Array.isArray(value) && isEncodedLeaf(value)) continue;
    if (depth + 1 > limit) return true;
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
