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
 * A string is skipped with one native search for its closing quote, so a long string (a 16 MB
 * argument) costs a `indexOf`, not a step per character.
 */
export function jsonTextNestsBeyond(text: string | Uint8Array, limit: number): boolean {
  // Two loops of the same shape, each over one kind of input: one loop reading either kind per
  // character measured 1.4x slower (1M numbers: 66 against 47 ms).
  return typeof text === "string" ? textNestsBeyond(text, limit) : bytesNestBeyond(text, limit);
}

function textNestsBeyond(text: string, limit: number): boolean {
  let depth = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) index = closingQuote(text, index);
    else if (code === 0x5b || code === 0x7b) {
      depth += 1; // [ {
      if (depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth -= 1; // ] }
  }
  return false;
}

function bytesNestBeyond(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  for (let index = 0; index < bytes.length; index += 1) {
    const code = bytes[index];
    if (code === QUOTE) index = closingQuote(bytes, index);
    else if (code === 0x5b || code === 0x7b) {
      depth += 1; // [ {
      if (depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth -= 1; // ] }
  }
  return false;
}

/**
 * The index of the quote that closes the string opened at `open` (one past the end when it is
 * never closed). A quote preceded by an odd run of backslashes is escaped. Linear overall: each
 * backslash is counted only by the quote right after its run.
 */
function closingQuote(text: string | Uint8Array, open: number): number {
  let from = open + 1;
  for (;;) {
    // `indexOf` with a number on bytes, a one-character string on text: both native searches.
    const quote = typeof text === "string" ? text.indexOf('"', from) : text.indexOf(QUOTE, from);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (quote - backslashes - 1 > open && codeAt(text, quote - backslashes - 1) === BACKSLASH)
      backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

function codeAt(text: string | Uint8Array, index: number): number | undefined {
  return typeof text === "string" ? text.charCodeAt(index) : text[index];
}

/** Whether `json` is an encoded leaf (`{"$integer": ...}`, `{"$bytes": ...}`, ...). */
function isEncodedLeaf(json: object): boolean {
  const keys = Object.keys(json);
  return keys.length === 1 && keys[0]?.startsWith("$") === true;
}

/** The limits a shape walk checks: nesting levels, array elements, object fields. */
export interface JsonShapeLimits {
  /** @default MAX_VALUE_NESTING */
  readonly nesting?: number;
  /** @default no limit */
  readonly arrayLength?: number;
  /** @default no limit */
  readonly objectFields?: number;
}

/** The first limit a value was found past. */
export type JsonShapeProblem =
  | { readonly kind: "nesting" }
  | { readonly kind: "arrayLength"; readonly length: number }
  | { readonly kind: "objectFields"; readonly fields: number };

/**
 * The first limit a parsed value in Convex's JSON encoding goes past, or null (the outermost
 * array or object is level 1; encoded leaves count as scalars). Iterative, in one pass that
 * stops at the first problem: a width is checked before its children are visited, so an object
 * of a million fields is refused without walking them.
 */
export function jsonValueShapeProblem(
  json: unknown,
  limits: JsonShapeLimits = {},
): JsonShapeProblem | null {
  const nesting = limits.nesting ?? MAX_VALUE_NESTING;
  const arrayLength = limits.arrayLength ?? Number.POSITIVE_INFINITY;
  const objectFields = limits.objectFields ?? Number.POSITIVE_INFINITY;
  // Only arrays and objects are pushed, with their level in a parallel stack.
  const values: object[] = [];
  const depths: number[] = [];
  if (typeof json === "object" && json !== null) {
    values.push(json);
    depths.push(1);
  }
  for (let value = values.pop(); value !== undefined; value = values.pop()) {
    const depth = depths.pop() ?? 1;
    let children: unknown[];
    if (Array.isArray(value)) {
      if (value.length > arrayLength) return { kind: "arrayLength", length: value.length };
      children = value;
    } else {
      if (isEncodedLeaf(value)) continue;
      children = Object.values(value);
      if (children.length > objectFields) return { kind: "objectFields", fields: children.length };
    }
    if (depth > nesting) return { kind: "nesting" };
    for (const child of children) {
      if (typeof child !== "object" || child === null) continue;
      values.push(child);
      depths.push(depth + 1);
    }
  }
  return null;
}

/**
 * Whether a parsed value in Convex's JSON encoding nests deeper than `limit` (the outermost array
 * or object is level 1; encoded leaves count as scalars). Iterative; stops at the first level past
 * the limit.
 */
export function jsonValueNestsBeyond(json: unknown, limit: number = MAX_VALUE_NESTING): boolean {
  return jsonValueShapeProblem(json, { nesting: limit }) !== null;
}
