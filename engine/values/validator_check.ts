/**
 * The check of a value against a validator, with the backend's semantics
 * (`crates/common/src/schemas/validator.rs`; the rules are listed in validate.ts). A mismatch is a
 * `Problem` on its way up: its path grows, innermost segment first, and its message is rendered
 * only once it reaches the top (`toFailure`), so a union that tries several members pays for no
 * text it discards.
 */
import type { JSONValue, ValidatorJSON, Value } from "convex/values";
import { encodeValue } from "./index_key.ts";
import type { ValidateOptions, ValidationFailure, ValidationFailureKind } from "./validate.ts";
import {
  formatLiteral,
  formatObjectValidator,
  formatValidator,
  formatValue,
} from "./value_format.ts";
import {
  byKey,
  definedEntries,
  isInt64,
  isPlainObject,
  literalValue,
  type ObjectFields,
} from "./value_shapes.ts";

/** A mismatch on its way up: the path grows (innermost segment first) until it reaches the top. */
export interface Problem {
  kind: Exclude<ValidationFailureKind, "ArgumentsNotAnObject">;
  reversedPath: string[];
  /** The message, given the rendered context (`Path: ...` or `""`). */
  render: (context: string) => string;
}

export function toFailure(problem: Problem): ValidationFailure {
  const path = [...problem.reversedPath].reverse().join("");
  return { kind: problem.kind, path, message: problem.render(path === "" ? "" : `Path: ${path}`) };
}

function within(problem: Problem | null, segment: string): Problem | null {
  problem?.reversedPath.push(segment);
  return problem;
}

export function check(
  validator: ValidatorJSON,
  value: Value,
  options: ValidateOptions,
): Problem | null {
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
  // A string or boolean literal is its own value, equal (encoded) to exactly what is `===` to it.
  const plain = typeof literalJson === "string" || typeof literalJson === "boolean";
  if (plain && value === literalJson) {
    return null;
  }
  const literal = literalValue(literalJson);
  if (!plain && encodeValue(value) === encodeValue(literal)) {
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

/** An object validator's fields in ascending name order (validators live as long as their schema). */
const sortedFieldsOf = new WeakMap<ObjectFields, [string, ObjectFields[string]][]>();

function sortedFields(fields: ObjectFields): [string, ObjectFields[string]][] {
  let sorted = sortedFieldsOf.get(fields);
  if (sorted === undefined) {
    sorted = Object.entries(fields).sort(byKey);
    sortedFieldsOf.set(fields, sorted);
  }
  return sorted;
}

function checkObject(
  fields: ObjectFields,
  object: { [field: string]: Value | undefined },
  options: ValidateOptions,
): Problem | null {
  for (const [field, { fieldType, optional }] of sortedFields(fields)) {
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
  // The first extra field in name order, without sorting the object's fields.
  let extra: string | null = null;
  for (const field of Object.keys(object)) {
    if (object[field] === undefined || Object.hasOwn(fields, field)) continue;
    if (extra === null || field < extra) extra = field;
  }
  return extra === null ? null : objectShapeProblem("ExtraField", extra, object, fields);
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
