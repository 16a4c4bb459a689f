/**
 * The check of an unknown value against Convex's rules: supported types only, int64 range, strings
 * that are valid Unicode, field names, array length, field count, nesting and size, walked innermost first as the backend builds
 * values, stopping at the first problem with its path (`Path: .a[0].b`).
 */
import { Buffer } from "node:buffer";
import { CommitTsPlaceholder } from "convex/values";
import {
  arrayTooLongMessage,
  MAX_ARRAY_LENGTH,
  MAX_FIELD_NAME_LENGTH,
  MAX_OBJECT_FIELDS,
  MAX_VALUE_NESTING,
  MAX_VALUE_SIZE,
  tooManyFieldsMessage,
} from "./limit_constants.ts";
import { isPlainObject, sizeProblem } from "./value_size.ts";
import { hasLoneSurrogate, LONE_SURROGATE_MESSAGE } from "./unicode.ts";
import { byKey, MAX_INT64 } from "./value_shapes.ts";

const MIN_INT64 = -(2n ** 63n);
const TYPES_HELP =
  "To learn about Convex's supported types, see https://docs.convex.dev/using/types.";

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
  const measured = measureValue(value, limits);
  return "problem" in measured ? measured.problem : null;
}

/**
 * {@link checkValue}, with what the walk measured when the value is fine: its size (Convex's
 * accounting, as `valueSize`) and nesting (as `valueNesting`), so callers need not walk it again.
 */
export function measureValue(
  value: unknown,
  limits: ValueLimits = {},
): { size: number; nesting: number } | { problem: string } {
  // Fields in any order first (no sorting): a valid value measures the same either way. Only a
  // value with a problem is walked again in Convex's field order, to report its first problem.
  const unordered = walk(value, limits, false);
  return "problem" in unordered ? walk(value, limits, true) : unordered;
}

function walk(
  value: unknown,
  limits: ValueLimits,
  fieldOrder: boolean,
): { size: number; nesting: number } | { problem: string } {
  const walker: Walker = {
    maxDepth: limits.maxDepth ?? MAX_VALUE_NESTING,
    maxSize: limits.maxSize ?? MAX_VALUE_SIZE,
    path: [],
    fieldOrder,
  };
  try {
    return measure(walker, value);
  } catch (error) {
    if (error instanceof LimitViolation) {
      return { problem: error.message };
    }
    throw error;
  }
}

/** Thrown inside the walk to stop at the first problem; never escapes this module. */
class LimitViolation extends Error {}

interface Walker {
  readonly maxDepth: number;
  readonly maxSize: number;
  /**
   * From the root to the value being measured: field names and array indexes, formatted
   * (`.field`, `[index]`) only for a violation.
   */
  readonly path: (string | number)[];
  /** Whether object fields are walked in Convex's order (sorted), which picks the first problem. */
  readonly fieldOrder: boolean;
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
  if (typeof value === "string") {
    if (hasLoneSurrogate(value)) throw violation(walker, LONE_SURROGATE_MESSAGE);
    return 2 + Buffer.byteLength(value, "utf8");
  }
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
    walker.path.push(i);
    const element = measure(walker, array[i]);
    walker.path.pop();
    size += element.size;
    deepest = Math.max(deepest, element.nesting);
  }
  if (array.length > MAX_ARRAY_LENGTH) {
    throw violation(walker, arrayTooLongMessage(array.length));
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
  const entries = Object.entries(object);
  if (walker.fieldOrder) entries.sort(byKey);
  for (const [field, fieldValue] of entries) {
    if (fieldValue === undefined) {
      continue; // Dropped, as `convexToJson` drops it.
    }
    const nameProblem = checkFieldName(field);
    if (nameProblem !== null) {
      throw violation(walker, nameProblem);
    }
    walker.path.push(field);
    const measured = measure(walker, fieldValue);
    walker.path.pop();
    fields += 1;
    size += Buffer.byteLength(field, "utf8") + 1 + measured.size;
    deepest = Math.max(deepest, measured.nesting);
  }
  if (fields > MAX_OBJECT_FIELDS) {
    throw violation(walker, tooManyFieldsMessage(fields));
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

/** A violation at the walker's current path (the path is omitted for the root value). */
function violation(walker: Walker, message: string): LimitViolation {
  const path = walker.path
    .map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${segment}`))
    .join("");
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
