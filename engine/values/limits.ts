/**
 * Convex's value rules, as the backend enforces them, with its wording:
 *
 * - field names: at most 1024 chars, printable ASCII only, no leading `$` (`convex/values`
 *   `validateObjectField`; backend `sync_types/src/identifier.rs`);
 * - top-level document fields starting with `_` are reserved for `_id` and `_creationTime`
 *   (`crates/common/src/document.rs`);
 * - arrays hold at most 8192 elements (`crates/value/src/array.rs`), objects at most 1024 fields
 *   (`object.rs`);
 * - nesting: any value at most 64 levels, a document at most 16 (`size.rs`, `document.rs`);
 * - size (Convex's accounting, `size.rs`): any value at most 32 MiB, a document at most 1 MiB,
 *   function arguments and results at most 16 MiB each (`knobs.rs`).
 *
 * Every check returns `null` when the value is fine, or one message naming the first problem and,
 * when it is not the value itself, the path to it (`Path: .a[0].b`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { CommitTsPlaceholder, type Value } from "convex/values";
import { jsonValueNestsBeyond, MAX_VALUE_NESTING } from "../../lib/json_depth.ts";

export { MAX_VALUE_NESTING, TOO_NESTED_MESSAGE } from "../../lib/json_depth.ts";

/** Longest field name, in chars. */
export const MAX_FIELD_NAME_LENGTH = 1024;
/** Deepest nesting of a document (the document object itself is level 1). */
export const MAX_DOCUMENT_NESTING = 16;
/** Most elements in an array. */
export const MAX_ARRAY_LENGTH = 8192;
/** Most fields in an object. */
export const MAX_OBJECT_FIELDS = 1024;
/** Largest document, in bytes of {@link valueSize}, system fields included (1 MiB). */
export const MAX_DOCUMENT_SIZE = 1 << 20;
/** Largest value of any kind, in bytes of {@link valueSize} (32 MiB). */
export const MAX_VALUE_SIZE = 1 << 25;
/** Largest function arguments, in bytes of {@link argsSize} (16 MiB). */
export const MAX_FUNCTION_ARGS_SIZE = 1 << 24;
/** Largest function return value, in bytes of {@link valueSize} (16 MiB). */
export const MAX_FUNCTION_RESULT_SIZE = 1 << 24;
/** The system fields every document carries; the only top-level fields that may start with `_`. */
export const SYSTEM_FIELDS: ReadonlySet<string> = new Set(["_id", "_creationTime"]);

/** A document's fields without its system fields. */
export function userFieldsOf(document: Readonly<Record<string, Value>>): Record<string, Value> {
  const fields: Record<string, Value> = {};
  for (const [key, value] of Object.entries(document)) {
    if (!SYSTEM_FIELDS.has(key)) fields[key] = value;
  }
  return fields;
}

/**
 * Stands in for function arguments refused at the wire because they nest too deeply, so that
 * nothing downstream (cache keys, logs) recurses into them; the executor fails the call with
 * {@link TOO_NESTED_MESSAGE}. Its JSON form is a string no real arguments object can equal.
 */
export class TooNestedArguments {
  toJSON(): string {
    return "\u0000TooNestedArguments";
  }
}

/** `args` as it may travel on: the stand-in when they nest beyond Convex's limit. */
export function guardArguments(args: unknown): unknown {
  return jsonValueNestsBeyond(args) ? new TooNestedArguments() : args;
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const TYPES_HELP =
  "To learn about Convex's supported types, see https://docs.convex.dev/using/types.";

/**
 * Size of a value in Convex's accounting: null and booleans 1 byte, int64 and float64 9, strings
 * 2 + UTF-8 length, bytes 2 + length, arrays 2 + elements, objects 2 + for each field its name's
 * length + 1 + its value. `undefined` (a dropped field) counts 0.
 */
export function valueSize(value: Value | undefined): number {
  if (value === undefined) return 0;
  if (value === null || typeof value === "boolean") return 1;
  if (typeof value === "bigint" || typeof value === "number") return 9;
  if (typeof value === "string") return 2 + Buffer.byteLength(value, "utf8");
  if (value instanceof ArrayBuffer) return 2 + value.byteLength;
  if (value instanceof CommitTsPlaceholder) return 9;
  if (Array.isArray(value)) {
    return value.reduce<number>((size, element) => size + valueSize(element), 2);
  }
  let size = 2;
  for (const [field, fieldValue] of Object.entries(value)) {
    if (fieldValue !== undefined) {
      size += Buffer.byteLength(field, "utf8") + 1 + valueSize(fieldValue);
    }
  }
  return size;
}

/** Size of a function's arguments as the backend measures them: the array `[args]`. */
export function argsSize(args: Value): number {
  return 2 + valueSize(args);
}

/** Nesting depth: 0 for scalars, 1 + the deepest element or field for arrays and objects. */
export function valueNesting(value: Value | undefined): number {
  if (Array.isArray(value)) {
    return (
      1 + value.reduce<number>((deepest, element) => Math.max(deepest, valueNesting(element)), 0)
    );
  }
  if (isPlainObject(value)) {
    let deepest = 0;
    for (const fieldValue of Object.values(value)) {
      deepest = Math.max(deepest, valueNesting(fieldValue));
    }
    return 1 + deepest;
  }
  return 0;
}

/**
 * Checks a field name, with the wording of `convex/values` (what a Convex function sees when it
 * writes such a field). Returns `null` for a valid name.
 */
export function checkFieldName(name: string): string | null {
  if (name.length > MAX_FIELD_NAME_LENGTH) {
    return `Field name ${name} exceeds maximum field name length ${MAX_FIELD_NAME_LENGTH}.`;
  }
  if (name.startsWith("$")) {
    return `Field name ${name} starts with a '$', which is reserved.`;
  }
  for (let i = 0; i < name.length; i += 1) {
    const code = name.charCodeAt(i);
    if (code < 32 || code >= 127) {
      return `Field name ${name} has invalid character '${name[i]}': Field names can only contain non-control ASCII characters`;
    }
  }
  return null;
}

/** Limits for {@link checkValue}. */
export interface ValueLimits {
  /** Deepest allowed nesting. @default MAX_VALUE_NESTING (64) */
  maxDepth?: number;
  /** Largest allowed {@link valueSize}, in bytes. @default MAX_VALUE_SIZE (32 MiB) */
  maxSize?: number;
}

/**
 * Checks that `value` is a Convex value within limits: supported types only (an `undefined`
 * object field is allowed and dropped), int64 range, valid field names, array length, field count,
 * nesting, size. Containers are checked innermost first, like the backend builds them.
 *
 * @returns `null`, or the message for the first problem found.
 */
export function checkValue(value: unknown, limits: ValueLimits = {}): string | null {
  const walker: Walker = {
    maxDepth: limits.maxDepth ?? MAX_VALUE_NESTING,
    maxSize: limits.maxSize ?? MAX_VALUE_SIZE,
    path: [],
  };
  try {
    measure(walker, value);
    return null;
  } catch (error) {
    if (error instanceof LimitViolation) {
      return error.message;
    }
    throw error;
  }
}

/**
 * Checks a document as it will be stored: a plain object that is a valid value, nested at most 16
 * levels, without top-level fields starting with `_` other than `_id` and `_creationTime`, and at
 * most 1 MiB. Pass the document with its system fields for the exact size accounting.
 *
 * @returns `null`, or the message for the first problem (the backend's `InvalidDocumentError`
 *   violations, `ValueTooLargeError` for size).
 */
export function checkDocument(value: unknown): string | null {
  if (!isPlainObject(value)) {
    return "Documents must be objects";
  }
  const valueProblem = checkValue(value);
  if (valueProblem !== null) {
    return valueProblem;
  }
  const document = value;
  const nesting = valueNesting(document);
  if (nesting > MAX_DOCUMENT_NESTING) {
    return `Document is too nested (nested ${nesting} levels deep > maximum nesting ${MAX_DOCUMENT_NESTING})`;
  }
  for (const [field, fieldValue] of Object.entries(document).sort(byKey)) {
    if (fieldValue !== undefined && field.startsWith("_") && !SYSTEM_FIELDS.has(field)) {
      return `Field '${field}' starts with an underscore, which is only allowed for system fields like '_id'`;
    }
  }
  return sizeProblem(valueSize(document), MAX_DOCUMENT_SIZE);
}

/**
 * Checks the size of a function's arguments against the 16 MiB limit.
 *
 * @param functionPath - the function's path as it should appear in the message, e.g. `messages:send`.
 */
export function checkArgsSize(functionPath: string, args: Value): string | null {
  const size = argsSize(args);
  if (size <= MAX_FUNCTION_ARGS_SIZE) {
    return null;
  }
  return `Arguments for ${functionPath} are too large (actual: ${formatBinarySize(size)}, limit: ${formatBinarySize(MAX_FUNCTION_ARGS_SIZE)})`;
}

/**
 * Checks the size of a function's return value against the 16 MiB limit.
 *
 * @param functionPath - the function's path as it should appear in the message, e.g. `messages:list`.
 */
export function checkResultSize(functionPath: string, result: Value): string | null {
  const size = valueSize(result);
  if (size <= MAX_FUNCTION_RESULT_SIZE) {
    return null;
  }
  return `Function ${functionPath} return value is too large (actual: ${formatBinarySize(size)}, limit: ${formatBinarySize(MAX_FUNCTION_RESULT_SIZE)})`;
}

/**
 * Formats a byte count the way the backend's messages do (Rust `humansize` with `BINARY`):
 * divided by 1024 while at least 1024, two decimals unless whole, e.g. `512 B`, `1 MiB`,
 * `1.00 MiB` (just over), `1.50 KiB`.
 */
export function formatBinarySize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let exponent = 0;
  while (exponent < units.length - 1 && bytes >= 1024 ** (exponent + 1)) {
    exponent += 1;
  }
  const divisor = 1024n ** BigInt(exponent);
  const whole = BigInt(Math.floor(bytes));
  if (whole % divisor === 0n) {
    return `${whole / divisor} ${units[exponent]}`;
  }
  // Two decimals of the exact quotient, ties to even (Rust's `{:.2}`).
  const scaled = whole * 100n;
  let hundredths = scaled / divisor;
  const twiceRemainder = (scaled % divisor) * 2n;
  if (twiceRemainder > divisor || (twiceRemainder === divisor && hundredths % 2n === 1n)) {
    hundredths += 1n;
  }
  const fraction = (hundredths % 100n).toString().padStart(2, "0");
  return `${hundredths / 100n}.${fraction} ${units[exponent]}`;
}

// ---------------------------------------------------------------------------------------------

/** Thrown inside the walk to stop at the first problem; never escapes this module. */
class LimitViolation extends Error {}

interface Walker {
  readonly maxDepth: number;
  readonly maxSize: number;
  /** Path segments from the root to the value being measured: `.field` or `[index]`. */
  readonly path: string[];
}

/** Walks `value` innermost first and returns its size and nesting, or throws a LimitViolation. */
function measure(walker: Walker, value: unknown): { size: number; nesting: number } {
  const scalarSize = scalarValueSize(walker, value);
  if (scalarSize !== null) {
    return { size: checkSize(walker, scalarSize), nesting: 0 };
  }
  if (Array.isArray(value)) {
    return measureArray(walker, value);
  }
  if (isPlainObject(value)) {
    return measureObject(walker, value);
  }
  throw violation(walker, `${describe(value)} is not a supported Convex type.`);
}

/** Size of a scalar, null for containers; throws for undefined and out-of-range bigints. */
function scalarValueSize(walker: Walker, value: unknown): number | null {
  if (value === undefined) {
    throw violation(walker, `undefined is not a valid Convex value. ${TYPES_HELP}`);
  }
  if (typeof value === "boolean") return 1;
  if (typeof value === "number") return 9;
  if (typeof value === "bigint") {
    if (value < MIN_INT64 || value > MAX_INT64) {
      throw violation(walker, `BigInt ${value} does not fit into a 64-bit signed integer.`);
    }
    return 9;
  }
  if (typeof value === "string") return 2 + Buffer.byteLength(value, "utf8");
  if (value === null) return 1;
  if (value instanceof ArrayBuffer) return 2 + value.byteLength;
  if (value instanceof CommitTsPlaceholder) return 9;
  return null;
}

function measureArray(
  walker: Walker,
  array: readonly unknown[],
): { size: number; nesting: number } {
  let size = 2;
  let deepest = 0;
  for (let i = 0; i < array.length; i += 1) {
    walker.path.push(`[${i}]`);
    const element = measure(walker, array[i]);
    walker.path.pop();
    size += element.size;
    deepest = Math.max(deepest, element.nesting);
  }
  if (array.length > MAX_ARRAY_LENGTH) {
    throw violation(
      walker,
      `Array length is too long (${array.length} > maximum length ${MAX_ARRAY_LENGTH})`,
    );
  }
  return { size: checkSize(walker, size), nesting: checkNesting(walker, 1 + deepest) };
}

function measureObject(
  walker: Walker,
  object: { [key: string]: unknown },
): { size: number; nesting: number } {
  let size = 2;
  let deepest = 0;
  let fields = 0;
  for (const [field, fieldValue] of Object.entries(object).sort(byKey)) {
    if (fieldValue === undefined) {
      continue; // Dropped, as `convexToJson` drops it.
    }
    const nameProblem = checkFieldName(field);
    if (nameProblem !== null) {
      throw violation(walker, nameProblem);
    }
    walker.path.push(`.${field}`);
    const measured = measure(walker, fieldValue);
    walker.path.pop();
    fields += 1;
    size += Buffer.byteLength(field, "utf8") + 1 + measured.size;
    deepest = Math.max(deepest, measured.nesting);
  }
  if (fields > MAX_OBJECT_FIELDS) {
    throw violation(
      walker,
      `Object has too many fields (${fields} > maximum number ${MAX_OBJECT_FIELDS})`,
    );
  }
  return { size: checkSize(walker, size), nesting: checkNesting(walker, 1 + deepest) };
}

function checkSize(walker: Walker, size: number): number {
  const problem = sizeProblem(size, walker.maxSize);
  if (problem !== null) {
    throw violation(walker, problem);
  }
  return size;
}

function checkNesting(walker: Walker, nesting: number): number {
  if (nesting > walker.maxDepth) {
    throw violation(
      walker,
      `Value is too nested (nested ${nesting} levels deep > maximum nesting ${walker.maxDepth})`,
    );
  }
  return nesting;
}

function sizeProblem(size: number, maxSize: number): string | null {
  if (size <= maxSize) {
    return null;
  }
  return `Value is too large (${formatBinarySize(size)} > maximum size ${formatBinarySize(maxSize)})`;
}

/** A violation at the walker's current path (the path is omitted for the root value). */
function violation(walker: Walker, message: string): LimitViolation {
  const path = walker.path.join("");
  return new LimitViolation(path === "" ? message : `${message}\nPath: ${path}`);
}

function describe(value: unknown): string {
  if (typeof value === "function") return "[Function]";
  if (typeof value === "symbol") return String(value);
  if (value instanceof Map) return "Map";
  if (value instanceof Set) return "Set";
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name === undefined ? "This value" : `${name} instance`;
}

function isPlainObject(value: unknown): value is { [key: string]: Value | undefined } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return false;
  }
  if (value instanceof ArrayBuffer || value instanceof CommitTsPlaceholder) {
    return false;
  }
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return proto === null || proto === Object.prototype || proto.constructor?.name === "Object";
}

function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
