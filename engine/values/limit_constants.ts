/**
 * Convex's limits on values, as numbers (see limits.ts for where each comes from). A leaf module,
 * so that the value walk and the public checks can both read them without importing each other.
 */
export { MAX_VALUE_NESTING } from "../../lib/json_depth.ts";

/** Longest field name, in chars. */
export const MAX_FIELD_NAME_LENGTH = 1024;
/** Deepest nesting of a document (the document object itself is level 1). */
export const MAX_DOCUMENT_NESTING = 16;
/** Most elements in an array. */
export const MAX_ARRAY_LENGTH = 8192;
/** Most fields in an object. */
export const MAX_OBJECT_FIELDS = 1024;

/** Convex's words for an array past {@link MAX_ARRAY_LENGTH}. */
export function arrayTooLongMessage(length: number): string {
  return `Array length is too long (${length} > maximum length ${MAX_ARRAY_LENGTH})`;
}

/** Convex's words for an object past {@link MAX_OBJECT_FIELDS}. */
export function tooManyFieldsMessage(fields: number): string {
  return `Object has too many fields (${fields} > maximum number ${MAX_OBJECT_FIELDS})`;
}
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
