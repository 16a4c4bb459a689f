/**
 * Values and validators printed as the backend's messages print them: `"text"`, `3.0`, `3` (an
 * int64), `NaN`, `inf`, `b"<base64>"`, `[1.0, 2.0]`, `{a: 1.0, b: "x"}`; validators as
 * `v.float64()`, `v.id("users")`, `v.object({a: v.optional(v.string())})`. A value's rendering is
 * bounded (`MAX_VALUE_FOR_ERROR_LENGTH`), so its cost does not grow with the value.
 */
import { Buffer } from "node:buffer";
import { CommitTsPlaceholder, type ValidatorJSON, type Value } from "convex/values";
import { formatFloat, formatFloatRustDebug, rustDebugString } from "./rust_format.ts";
import { byKey, literalValue, MAX_INT64, type ObjectFields } from "./value_shapes.ts";

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

export function formatObjectValidator(fields: ObjectFields): string {
  const printed = Object.entries(fields)
    .sort(byKey)
    .map(([field, { fieldType, optional }]) => {
      const inner = formatValidator(fieldType);
      return `${field}: ${optional ? `v.optional(${inner})` : inner}`;
    });
  return `v.object({${printed.join(", ")}})`;
}

/** A literal as the backend prints it: JSON, except `<bigint>` and `<number>` for NaN/±inf. */
export function formatLiteral(literal: Value): string {
  if (typeof literal === "bigint") return "<bigint>";
  if (typeof literal === "number") {
    return Number.isFinite(literal) ? formatFloat(literal, 1e-5) : "<number>";
  }
  return JSON.stringify(literal);
}
