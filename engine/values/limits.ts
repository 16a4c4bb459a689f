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
 * This module is the public surface (documents, arguments, results, the names everyone imports);
 * beside it: limit_constants.ts (the numbers), value_size.ts (Convex's size accounting and the
 * wording of sizes) and value_walk.ts (the check of an unknown value, `checkValue`).
 *
 * @module
 */
import { jsonValueNestsBeyond } from "../../lib/json_depth.ts";
import type { Value } from "convex/values";
import {
  MAX_DOCUMENT_NESTING,
  MAX_DOCUMENT_SIZE,
  MAX_FUNCTION_ARGS_SIZE,
  MAX_FUNCTION_RESULT_SIZE,
  SYSTEM_FIELDS,
} from "./limit_constants.ts";
import { argsSize, formatBinarySize, isPlainObject, sizeProblem, valueSize } from "./value_size.ts";
import { measureValue } from "./value_walk.ts";

export { MAX_VALUE_NESTING, TOO_NESTED_MESSAGE } from "../../lib/json_depth.ts";
export {
  MAX_ARRAY_LENGTH,
  MAX_DOCUMENT_NESTING,
  MAX_DOCUMENT_SIZE,
  MAX_FIELD_NAME_LENGTH,
  MAX_FUNCTION_ARGS_SIZE,
  MAX_FUNCTION_RESULT_SIZE,
  MAX_OBJECT_FIELDS,
  MAX_VALUE_SIZE,
  SYSTEM_FIELDS,
} from "./limit_constants.ts";
export { argsSize, formatBinarySize, valueNesting, valueSize } from "./value_size.ts";
export { checkFieldName, checkValue, type ValueLimits } from "./value_walk.ts";

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
  // One walk: the check of the value also measures its nesting and size.
  const measured = measureValue(value);
  if ("problem" in measured) {
    return measured.problem;
  }
  const document = value;
  const { nesting, size } = measured;
  if (nesting > MAX_DOCUMENT_NESTING) {
    return `Document is too nested (nested ${nesting} levels deep > maximum nesting ${MAX_DOCUMENT_NESTING})`;
  }
  const reserved = reservedFieldOf(document);
  if (reserved !== null) {
    return `Field '${reserved}' starts with an underscore, which is only allowed for system fields like '_id'`;
  }
  return sizeProblem(size, MAX_DOCUMENT_SIZE);
}

/** The first top-level field (in Convex's order) starting with `_` that is no system field. */
function reservedFieldOf(document: Readonly<Record<string, unknown>>): string | null {
  let first: string | null = null;
  for (const field of Object.keys(document)) {
    // `_` first: most fields are not read at all.
    if (!field.startsWith("_") || SYSTEM_FIELDS.has(field) || document[field] === undefined) {
      continue;
    }
    if (first === null || field < first) first = field; // Convex's order, without sorting all
  }
  return first;
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
