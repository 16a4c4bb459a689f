/**
 * Evaluates the filter expressions `convex/server` serialises from `.filter(q => ...)`:
 * `{$field: "a.b"}`, `{$literal: v}`, comparisons `$eq $neq $lt $lte $gt $gte` (Convex value
 * order, a missing field is `undefined` and sorts lowest), arithmetic `$add $sub $mul $div $mod`,
 * `$neg`, and logic `$and $or $not`. A document passes when the expression is exactly `true`.
 */
import { compareValues, jsonToConvex, type Value } from "convex/values";
import { fieldValue } from "../storage/document_store.ts";
import type { DocumentValue } from "../storage/types.ts";

export type FilterExpression = Record<string, unknown>;

type Evaluated = Value | undefined;

/** Decodes a literal (including `{"$undefined": null}`). */
export function decodeLiteral(json: unknown): Evaluated {
  if (typeof json === "object" && json !== null && !Array.isArray(json)) {
    const keys = Object.keys(json);
    if (keys.length === 1 && keys[0] === "$undefined") return undefined;
  }
  return jsonToConvex(json as never);
}

function compare(a: Evaluated, b: Evaluated): number {
  return compareValues(a, b);
}

function arithmetic(op: string, a: Evaluated, b: Evaluated): Value {
  if (typeof a === "number" && typeof b === "number") {
    switch (op) {
      case "$add":
        return a + b;
      case "$sub":
        return a - b;
      case "$mul":
        return a * b;
      case "$div":
        return a / b;
      default:
        return a % b;
    }
  }
  if (typeof a === "bigint" && typeof b === "bigint") {
    switch (op) {
      case "$add":
        return BigInt.asIntN(64, a + b);
      case "$sub":
        return BigInt.asIntN(64, a - b);
      case "$mul":
        return BigInt.asIntN(64, a * b);
      case "$div":
        if (b === 0n) throw new Error("Division by zero in a filter expression.");
        return a / b;
      default:
        if (b === 0n) throw new Error("Division by zero in a filter expression.");
        return a % b;
    }
  }
  throw new Error(
    `Filter operator ${op} expects two numbers or two int64 values, got ${describe(a)} and ${describe(b)}.`,
  );
}

function describe(value: Evaluated): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "bigint") return "int64";
  if (value instanceof ArrayBuffer) return "bytes";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function operands(expression: FilterExpression, op: string, count?: number): unknown[] {
  const args = expression[op];
  if (!Array.isArray(args) || (count !== undefined && args.length !== count)) {
    throw new Error(`Invalid filter expression: ${op} expects ${count ?? "an array of"} operands.`);
  }
  return args;
}

/** Evaluates `expression` against `document`. @throws on a malformed expression. */
export function evaluateFilter(expression: unknown, document: DocumentValue): Evaluated {
  if (typeof expression !== "object" || expression === null || Array.isArray(expression)) {
    throw new Error(`Invalid filter expression: ${JSON.stringify(expression)}`);
  }
  const node = expression as FilterExpression;
  const [op] = Object.keys(node);
  switch (op) {
    case "$field": {
      const path = node["$field"];
      if (typeof path !== "string")
        throw new Error("Invalid filter expression: $field expects a string.");
      return fieldValue(document, path);
    }
    case "$literal":
      return decodeLiteral(node["$literal"]);
    case "$eq":
    case "$neq":
    case "$lt":
    case "$lte":
    case "$gt":
    case "$gte": {
      const [left, right] = operands(node, op, 2).map((arg) => evaluateFilter(arg, document));
      const order = compare(left, right);
      switch (op) {
        case "$eq":
          return order === 0;
        case "$neq":
          return order !== 0;
        case "$lt":
          return order < 0;
        case "$lte":
          return order <= 0;
        case "$gt":
          return order > 0;
        default:
          return order >= 0;
      }
    }
    case "$add":
    case "$sub":
    case "$mul":
    case "$div":
    case "$mod": {
      const [left, right] = operands(node, op, 2).map((arg) => evaluateFilter(arg, document));
      return arithmetic(op, left, right);
    }
    case "$neg": {
      const value = evaluateFilter(node["$neg"], document);
      if (typeof value === "number") return -value;
      if (typeof value === "bigint") return BigInt.asIntN(64, -value);
      throw new Error(`Filter operator $neg expects a number, got ${describe(value)}.`);
    }
    case "$not":
      return evaluateFilter(node["$not"], document) !== true;
    case "$and":
      return operands(node, op).every((arg) => evaluateFilter(arg, document) === true);
    case "$or":
      return operands(node, op).some((arg) => evaluateFilter(arg, document) === true);
    default:
      throw new Error(`Invalid filter expression: unknown operator ${String(op)}.`);
  }
}
