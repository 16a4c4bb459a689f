/**
 * The checks on the values crossing a function's boundary: its arguments (nesting, size, Convex
 * encoding, an object, the `args` validator) and its result (size, the `returns` validator), with
 * Convex's error texts. Pure: the caller frames a failure message as its path requires.
 */
import { jsonToConvex, type Value } from "convex/values";
import { errorMessageOf } from "../errors.ts";
import {
  jsonValueShapeProblem,
  TOO_NESTED_MESSAGE,
  type JsonShapeProblem,
} from "../../lib/json_depth.ts";
import {
  MAX_ARRAY_LENGTH,
  MAX_FUNCTION_ARGS_SIZE,
  MAX_FUNCTION_RESULT_SIZE,
  MAX_OBJECT_FIELDS,
  TooNestedArguments,
} from "../values/limits.ts";
import { arrayTooLongMessage, tooManyFieldsMessage } from "../values/limit_constants.ts";
import {
  argumentValidationMessage,
  returnsValidationMessage,
  validateValue,
} from "../values/validate.ts";
import { LONE_SURROGATE_MESSAGE, stringifiedHasLoneSurrogate } from "../values/unicode.ts";
import type { RegisteredFunction } from "./registry.ts";

/** The table of a document id (`null`: not an id of any table), for `v.id` validation. */
export type TableNameOfId = (id: string) => string | null;

/**
 * Decodes and validates arguments; returns a failure message or the decoded value. `argsJson` is
 * `JSON.stringify(args ?? {})` when the caller already has it.
 */
export function checkArgs(
  fn: RegisteredFunction,
  args: unknown,
  tableNameOfId: TableNameOfId,
  argsJson?: string,
): { value: Value; json: string } | { error: string } {
  // Before anything recurses into them (the arguments object itself is level 1), or walks a
  // million fields only to refuse them.
  const shape =
    args instanceof TooNestedArguments ? ({ kind: "nesting" } as const) : argsShapeProblem(args);
  if (shape !== null) return { error: `ArgumentValidationError: ${shapeMessage(shape)}` };
  const json = argsJson ?? JSON.stringify(args ?? {});
  if (json.length > MAX_FUNCTION_ARGS_SIZE) {
    return {
      error: `Arguments for ${fn.path} are too large (${json.length} bytes, maximum ${MAX_FUNCTION_ARGS_SIZE}).`,
    };
  }
  if (stringifiedHasLoneSurrogate(json)) {
    return { error: `ArgumentValidationError: ${LONE_SURROGATE_MESSAGE}` };
  }
  let value: Value;
  try {
    value = jsonToConvex(args as never);
  } catch (error) {
    return { error: `ArgumentValidationError: ${errorMessageOf(error)}` };
  }
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    value instanceof ArrayBuffer
  ) {
    return {
      error: `ArgumentValidationError: Arguments must be an object, got ${JSON.stringify(args)}.`,
    };
  }
  const failure = validateValue(fn.args, value, { tableNameOfId });
  if (failure !== null) return { error: argumentValidationMessage(failure) };
  return { value, json };
}

/** The first of Convex's nesting and width limits `args` (Convex's JSON) goes past, if any. */
function argsShapeProblem(args: unknown): JsonShapeProblem | null {
  return jsonValueShapeProblem(args, {
    arrayLength: MAX_ARRAY_LENGTH,
    objectFields: MAX_OBJECT_FIELDS,
  });
}

function shapeMessage(problem: JsonShapeProblem): string {
  switch (problem.kind) {
    case "nesting":
      return TOO_NESTED_MESSAGE;
    case "arrayLength":
      return arrayTooLongMessage(problem.length);
    case "objectFields":
      return tooManyFieldsMessage(problem.fields);
  }
}

/** Checks a result's size and its `returns` validator; returns the convex-encoded value. */
export function checkReturns(
  fn: RegisteredFunction,
  resultJson: string,
  tableNameOfId: TableNameOfId,
): { value: unknown } | { error: string } {
  if (resultJson.length > MAX_FUNCTION_RESULT_SIZE) {
    return {
      error: `Function ${fn.path} returned too large a value (${resultJson.length} bytes, maximum ${MAX_FUNCTION_RESULT_SIZE}).`,
    };
  }
  const encoded = JSON.parse(resultJson) as unknown;
  if (fn.returns !== null) {
    const failure = validateValue(fn.returns, jsonToConvex(encoded as never), {
      tableNameOfId,
    });
    if (failure !== null) return { error: returnsValidationMessage(failure) };
  }
  return { value: encoded };
}
