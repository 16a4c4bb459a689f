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
 * Values are printed as the backend prints them: `"text"`, `3.0`, `3` (an int64), `NaN`, `inf`,
 * `b"<base64>"`, `[1.0, 2.0]`, `{a: 1.0, b: "x"}`; validators as `v.float64()`, `v.id("users")`,
 * `v.object({a: v.optional(v.string())})`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  CommitTsPlaceholder,
  jsonToConvex,
  type JSONValue,
  type ValidatorJSON,
  type Value,
} from "convex/values";
import { encodeValue } from "./index_key.ts";

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

/** Prints a validator the way the backend's messages do, e.g. `v.union(v.literal("a"), v.null())`. */
export function formatValidator(validator: ValidatorJSON): string {
  switch (validator.type) {
    case "null":
    case "boolean":
    case "string":
    case "bytes":
    case "any":
    case "commitTs":
      return `v.${validator.type}()`;
    case "number":
      return "v.float64()";
    case "bigint":
      return "v.int64()";
    case "literal":
      return `v.literal(${formatLiteral(literalValue(validator.value))})`;
    case "id":
      return `v.id("${validator.tableName}")`;
    case "array":
      return `v.array(${formatValidator(validator.value)})`;
    case "record":
      return `v.record(${formatValidator(validator.keys)}, ${formatValidator(validator.values.fieldType)})`;
    case "object":
      return formatObjectValidator(validator.value);
    case "union":
      return `v.union(${validator.value.map(formatValidator).join(", ")})`;
    default:
      validator satisfies never;
      throw new Error(`Unknown validator ${JSON.stringify(validator)}`);
  }
}

/** The longest rendering of a value in an error message (as convex-js's `stringifyValueForError`). */
export const MAX_VALUE_FOR_ERROR_LENGTH = 16_384;
const TRUNCATED = "[...truncated]";

/**
 * Prints a value the way the backend's messages do (its `Display` for values): strings quoted
 * and escaped as Rust does, float64 always with a fraction or exponent (`3.0`, `1e21`, `NaN`,
 * `inf`), int64 as plain digits, bytes as `b"<base64>"`, objects as `{name: value}` sorted by name.
 * At most `maxLength` characters, ending in `[...truncated]` when cut: the time it takes does not
 * grow with the value beyond that.
 */
export function formatValue(
  value: Value | undefined,
  maxLength: number = MAX_VALUE_FOR_ERROR_LENGTH,
): string {
  const out = { text: "", limit: maxLength + 1 };
  appendValue(out, value);
  if (out.text.length <= maxLength) return out.text;
  let cut = maxLength - TRUNCATED.length;
  const code = out.text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // do not split a surrogate pair
  return out.text.slice(0, cut) + TRUNCATED;
}

/** A rendering being built; appending stops once it holds `limit` characters. */
interface BoundedText {
  text: string;
  readonly limit: number;
}

function appendValue(out: BoundedText, value: Value | undefined): void {
  const room = out.limit - out.text.length;
  if (room <= 0) return;
  if (Array.isArray(value)) {
    appendList(out, "[", "]", value, (element) => appendValue(out, element));
    return;
  }
  if (isObjectValue(value)) {
    const fields = Object.entries(value)
      .filter(([, fieldValue]) => fieldValue !== undefined)
      .sort(byKey);
    appendList(out, "{", "}", fields, ([field, fieldValue]) => {
      out.text += `${field}: `;
      appendValue(out, fieldValue);
    });
    return;
  }
  out.text += formatScalar(value, room);
}

function appendList<T>(
  out: BoundedText,
  open: string,
  close: string,
  items: readonly T[],
  appendItem: (item: T) => void,
): void {
  out.text += open;
  for (let index = 0; index < items.length; index += 1) {
    if (out.text.length >= out.limit) return;
    if (index > 0) out.text += ", ";
    appendItem(items[index] as T);
  }
  out.text += close;
}

function isObjectValue(value: Value | undefined): value is { [field: string]: Value | undefined } {
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof ArrayBuffer) &&
    !(value instanceof CommitTsPlaceholder)
  );
}

/** A scalar's rendering; strings and bytes longer than `room` are cut to it first. */
function formatScalar(value: Value | undefined, room: number): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return formatFloatRustDebug(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return rustDebugString(value.slice(0, room));
  if (value instanceof ArrayBuffer) {
    const shown = Buffer.from(value, 0, Math.min(value.byteLength, room));
    return `b"${shown.toString("base64")}"`;
  }
  return MAX_INT64.toString(); // CommitTsPlaceholder
}

// ---------------------------------------------------------------------------------------------
// Checking

const MAX_INT64 = 2n ** 63n - 1n;

type ObjectFields = Extract<ValidatorJSON, { type: "object" }>["value"];

/** A mismatch on its way up: the path grows (innermost segment first) until it reaches the top. */
interface Problem {
  kind: Exclude<ValidationFailureKind, "ArgumentsNotAnObject">;
  reversedPath: string[];
  /** The message, given the rendered context (`Path: ...` or `""`). */
  render: (context: string) => string;
}

function toFailure(problem: Problem): ValidationFailure {
  const path = [...problem.reversedPath].reverse().join("");
  return { kind: problem.kind, path, message: problem.render(path === "" ? "" : `Path: ${path}`) };
}

function within(problem: Problem | null, segment: string): Problem | null {
  problem?.reversedPath.push(segment);
  return problem;
}

function check(validator: ValidatorJSON, value: Value, options: ValidateOptions): Problem | null {
  switch (validator.type) {
    case "any":
      return null;
    case "null":
      return value === null ? null : noMatch(validator, value);
    case "number":
      return typeof value === "number" ? null : noMatch(validator, value);
    case "bigint":
    case "commitTs":
      return isInt64(value) ? null : noMatch(validator, value);
    case "boolean":
      return typeof value === "boolean" ? null : noMatch(validator, value);
    case "string":
      return typeof value === "string" ? null : noMatch(validator, value);
    case "bytes":
      return value instanceof ArrayBuffer ? null : noMatch(validator, value);
    case "literal":
      return checkLiteral(validator.value, value);
    case "id":
      return checkId(validator, value, options);
    case "array":
      return checkArray(validator, value, options);
    case "record":
      return checkRecord(validator, value, options);
    case "object":
      return isPlainObject(value)
        ? checkObject(validator.value, value, options)
        : noMatch(validator, value);
    case "union":
      return checkUnion(validator, value, options);
    default:
      validator satisfies never;
      throw new Error(`Unknown validator ${JSON.stringify(validator)}`);
  }
}

function noMatch(validator: ValidatorJSON, value: Value): Problem {
  return {
    kind: "NoMatch",
    reversedPath: [],
    render: (context) =>
      `Value does not match validator.\n${context}\nValue: ${formatValue(value)}\nValidator: ${formatValidator(validator)}`,
  };
}

function checkLiteral(literalJson: JSONValue, value: Value): Problem | null {
  const literal = literalValue(literalJson);
  if (encodeValue(value) === encodeValue(literal)) {
    return null;
  }
  return {
    kind: "LiteralValuesDoNotMatch",
    reversedPath: [],
    render: (context) =>
      `\`${formatValue(value)}\` does not match literal validator \`v.literal(${formatLiteral(literal)})\`.${context}`,
  };
}

function checkId(
  validator: Extract<ValidatorJSON, { type: "id" }>,
  value: Value,
  options: ValidateOptions,
): Problem | null {
  const tableName = typeof value === "string" ? options.tableNameOfId(value) : null;
  if (typeof value !== "string" || tableName === null) {
    return noMatch(validator, value);
  }
  if (tableName === validator.tableName) {
    return null;
  }
  const expected = `\`v.id("${validator.tableName}")\``;
  const id = value;
  if (tableName.startsWith("_")) {
    return {
      kind: "SystemTableReference",
      reversedPath: [],
      render: (context) =>
        `Found ID "${id}" from a system table, which does not match the table name in validator ${expected}.${context}`,
    };
  }
  return {
    kind: "TableNamesDoNotMatch",
    reversedPath: [],
    render: (context) =>
      `Found ID "${id}" from table \`${tableName}\`, which does not match the table name in validator ${expected}.${context}`,
  };
}

function checkArray(
  validator: Extract<ValidatorJSON, { type: "array" }>,
  value: Value,
  options: ValidateOptions,
): Problem | null {
  if (!Array.isArray(value)) {
    return noMatch(validator, value);
  }
  for (let i = 0; i < value.length; i += 1) {
    const problem = check(validator.value, value[i]!, options);
    if (problem !== null) {
      return within(problem, `[${i}]`);
    }
  }
  return null;
}

function checkRecord(
  validator: Extract<ValidatorJSON, { type: "record" }>,
  value: Value,
  options: ValidateOptions,
): Problem | null {
  if (!isPlainObject(value)) {
    return noMatch(validator, value);
  }
  for (const [field, fieldValue] of definedEntries(value)) {
    const keyProblem = check(validator.keys, field, options);
    if (keyProblem !== null) {
      return within(keyProblem, ".keys()");
    }
    const valueProblem = check(validator.values.fieldType, fieldValue, options);
    if (valueProblem !== null) {
      return within(valueProblem, ".values()");
    }
  }
  return null;
}

function checkObject(
  fields: ObjectFields,
  object: { [field: string]: Value | undefined },
  options: ValidateOptions,
): Problem | null {
  for (const [field, { fieldType, optional }] of Object.entries(fields).sort(byKey)) {
    const fieldValue = object[field];
    if (fieldValue !== undefined && Object.hasOwn(object, field)) {
      const problem = check(fieldType, fieldValue, options);
      if (problem !== null) {
        return within(problem, `.${field}`);
      }
    } else if (!optional) {
      return objectShapeProblem("MissingRequiredField", field, object, fields);
    }
  }
  for (const [field] of definedEntries(object)) {
    if (!Object.hasOwn(fields, field)) {
      return objectShapeProblem("ExtraField", field, object, fields);
    }
  }
  return null;
}

function objectShapeProblem(
  kind: "MissingRequiredField" | "ExtraField",
  field: string,
  object: { [field: string]: Value | undefined },
  fields: ObjectFields,
): Problem {
  const headline =
    kind === "MissingRequiredField"
      ? `Object is missing the required field \`${field}\`. Consider wrapping the field validator in \`v.optional(...)\` if this is expected.`
      : `Object contains extra field \`${field}\` that is not in the validator.`;
  return {
    kind,
    reversedPath: [],
    render: (context) =>
      `${headline}\n${context}\nObject: ${formatValue(object)}\nValidator: ${formatObjectValidator(fields)}`,
  };
}

function checkUnion(
  validator: Extract<ValidatorJSON, { type: "union" }>,
  value: Value,
  options: ValidateOptions,
): Problem | null {
  const members = validator.value;
  if (members.length === 1) {
    return check(members[0]!, value, options);
  }
  if (members.some((member) => check(member, value, options) === null)) {
    return null;
  }
  return noMatch(validator, value);
}

// ---------------------------------------------------------------------------------------------
// Printing

function formatObjectValidator(fields: ObjectFields): string {
  const printed = Object.entries(fields)
    .sort(byKey)
    .map(([field, { fieldType, optional }]) => {
      const inner = formatValidator(fieldType);
      return `${field}: ${optional ? `v.optional(${inner})` : inner}`;
    });
  return `v.object({${printed.join(", ")}})`;
}

function literalValue(json: JSONValue): Value {
  return jsonToConvex(json);
}

/** A literal as the backend prints it: JSON, except `<bigint>` and `<number>` for NaN/±inf. */
function formatLiteral(literal: Value): string {
  if (typeof literal === "bigint") return "<bigint>";
  if (typeof literal === "number") {
    return Number.isFinite(literal) ? formatFloat(literal, 1e-5) : "<number>";
  }
  return JSON.stringify(literal);
}

/** Rust's `{:?}` for an f64: `3.0`, `0.1`, `1e16`, `1e-5`, `-0.0`, `NaN`, `inf`, `-inf`. */
function formatFloatRustDebug(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return formatFloat(x, 1e-4);
}

/**
 * Shortest round-trip digits of a finite `x`, in plain notation with at least one fractional
 * digit when `smallest <= |x| < 1e16`, else as `<digits>e<exponent>` (Rust's `{:?}` uses
 * `smallest = 1e-4`; serde_json's ryu uses `1e-5`).
 */
function formatFloat(x: number, smallest: number): string {
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const abs = Math.abs(x);
  if (abs === 0) {
    return `${sign}0.0`;
  }
  const [mantissa, exponentText] = abs.toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  if (abs < smallest || abs >= 1e16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    return `${sign}${digits[0]}${fraction}e${exponent}`;
  }
  if (exponent < 0) {
    return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  }
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === "" ? "0" : fraction}`;
}

const GRAPHEME_EXTEND = /^\p{Grapheme_Extend}$/u;
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
const RUST_ESCAPES: ReadonlyMap<string, string> = new Map([
  ["\0", "\\0"],
  ["\t", "\\t"],
  ["\r", "\\r"],
  ["\n", "\\n"],
  ["\\", "\\\\"],
  ['"', '\\"'],
]);

/** Rust's `{:?}` for a str: quoted; `\0 \t \r \n \\ \"` escaped; unprintable chars as `\u{..}`. */
function rustDebugString(s: string): string {
  let out = '"';
  for (const char of s) {
    const escape = RUST_ESCAPES.get(char);
    if (escape !== undefined) {
      out += escape;
    } else if (char !== " " && (GRAPHEME_EXTEND.test(char) || NOT_PRINTABLE.test(char))) {
      out += `\\u{${char.codePointAt(0)!.toString(16)}}`;
    } else {
      out += char;
    }
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------

function isInt64(value: Value): boolean {
  return typeof value === "bigint" || value instanceof CommitTsPlaceholder;
}

function isPlainObject(value: Value): value is { [field: string]: Value | undefined } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof ArrayBuffer) &&
    !(value instanceof CommitTsPlaceholder)
  );
}

/** An object's fields with a value, in ascending name order. */
function definedEntries(object: { [field: string]: Value | undefined }): Array<[string, Value]> {
  return Object.entries(object)
    .filter((entry): entry is [string, Value] => entry[1] !== undefined)
    .sort(byKey);
}

function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
