/**
 * Validation of Convex values against validators in their JSON form (`ValidatorJSON`, what
 * `exportArgs()`, `exportReturns()` and a schema's `documentType` hold), with the backend's
 * semantics and wording (`crates/common/src/schemas/validator.rs`):
 *
 * - int64 and float64 are different types; `v.number()` (`v.float64()`) accepts every float64,
 *   NaN included; `v.literal(x)` compares in Convex's total order (so `-0` is not `0`, `3n` is not
 *   `3`);
 * - objects are checked field by field in ascending name order (missing required fields first),
 *   then for extra fields; a field whose value is `undefined` is missing;
 * - a union of one validator reports that validator's own failure; a larger union reports the
 *   whole union;
 * - `v.id("t")` needs a string that decodes to an id of table `t`;
 * - a failure carries the path to the offending value (`.field`, `[index]`, `.keys()`,
 *   `.values()`), which the message shows as `Path: ...`.
 *
 * Values are printed as the backend prints them (value_format.ts). This module is the public
 * surface: the entry points and the message framings; the checking itself is validator_check.ts.
 *
 * @module
 */
import type { ValidatorJSON, Value } from "convex/values";
import { check, toFailure } from "./validator_check.ts";
import { formatValue } from "./value_format.ts";
import { isPlainObject } from "./value_shapes.ts";

export { formatValidator, formatValue, MAX_VALUE_FOR_ERROR_LENGTH } from "./value_format.ts";

/** What kind of mismatch a {@link ValidationFailure} reports (the backend's `ValidationError`). */
export type ValidationFailureKind =
  | "NoMatch"
  | "LiteralValuesDoNotMatch"
  | "MissingRequiredField"
  | "ExtraField"
  | "TableNamesDoNotMatch"
  | "SystemTableReference"
  /** The arguments of a function with an object args validator were not an object. */
  | "ArgumentsNotAnObject";

/** A value that does not match its validator. */
export interface ValidationFailure {
  kind: ValidationFailureKind;
  /** Path from the validated value to the offending one, e.g. `.items[2].dish`; `""` for itself. */
  path: string;
  /** The complete message, as the backend words it (path included). */
  message: string;
}

/** What validation needs from the database. */
export interface ValidateOptions {
  /** The name of the table `id` belongs to, or `null` when `id` is not an id of a known table. */
  tableNameOfId: (id: string) => string | null;
}

/**
 * Validates `value` against `validator`.
 *
 * `undefined` is validated as `null`: Convex sends a function's `undefined` result as `null`.
 * An unresolved commit timestamp (`CommitTsPlaceholder`) is validated as the largest int64, as the
 * backend validates pending values.
 *
 * @returns `null` when the value matches, else the first mismatch.
 */
export function validateValue(
  validator: ValidatorJSON,
  value: Value | undefined,
  options: ValidateOptions,
): ValidationFailure | null {
  const problem = check(validator, value ?? null, options);
  return problem === null ? null : toFailure(problem);
}

/**
 * Validates a function's arguments object against its args validator (`exportArgs()`): `any`
 * accepts everything; an object validator first needs an object.
 */
export function validateArgs(
  validator: ValidatorJSON,
  args: Value,
  options: ValidateOptions,
): ValidationFailure | null {
  if (validator.type === "any") {
    return null;
  }
  if (validator.type === "object" && !isPlainObject(args)) {
    return {
      kind: "ArgumentsNotAnObject",
      path: "",
      message: `Expected to receive an object as the function's argument. Instead received: ${formatValue(args)}`,
    };
  }
  return validateValue(validator, args, options);
}

/**
 * Validates a document against its table's `documentType` from the schema. System fields (every
 * top-level field starting with `_`) are removed first, as the backend does.
 */
export function validateDocument(
  documentType: ValidatorJSON,
  document: { [field: string]: Value | undefined },
  options: ValidateOptions,
): ValidationFailure | null {
  const userFields = Object.fromEntries(
    Object.entries(document).filter(([field]) => !field.startsWith("_")),
  );
  return validateValue(documentType, userFields, options);
}

/** The error text the backend returns for arguments that do not match the args validator. */
export function argumentValidationMessage(failure: ValidationFailure): string {
  return `ArgumentValidationError: ${failure.message}`;
}

/** The error text the backend returns for a return value that does not match `returns`. */
export function returnsValidationMessage(failure: ValidationFailure): string {
  return `ReturnsValidationError: ${failure.message}`;
}

/** The error text for a write of a document that does not match the table's schema. */
export function schemaValidationMessage(table: string, failure: ValidationFailure): string {
  return `Failed to insert or update a document in table "${table}" because it does not match the schema: ${failure.message}`;
}
