/**
 * What validation and printing both ask of a Convex value: its shape (a plain object, an int64),
 * an object's defined fields in name order, and the int64 maximum that stands in for an
 * unresolved commit timestamp. One copy, shared by value_format.ts and validator_check.ts.
 */
import {
  CommitTsPlaceholder,
  jsonToConvex,
  type JSONValue,
  type ValidatorJSON,
  type Value,
} from "convex/values";

export const MAX_INT64 = 2n ** 63n - 1n;

export type ObjectFields = Extract<ValidatorJSON, { type: "object" }>["value"];

export function literalValue(json: JSONValue): Value {
  return jsonToConvex(json);
}

export function isInt64(value: Value): boolean {
  return typeof value === "bigint" || value instanceof CommitTsPlaceholder;
}

export function isPlainObject(value: Value): value is { [field: string]: Value | undefined } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof ArrayBuffer) &&
    !(value instanceof CommitTsPlaceholder)
  );
}

/** An object's fields with a value, in ascending name order. */
export function definedEntries(object: {
  [field: string]: Value | undefined;
}): Array<[string, Value]> {
  return Object.entries(object)
    .filter((entry): entry is [string, Value] => entry[1] !== undefined)
    .sort(byKey);
}

export function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
