/**
 * GraphQL argument values -> Convex argument values, guided by the args validator: GraphQL has
 * `null` where Convex has a missing optional field, so a `null` for an optional field that does
 * not accept null is dropped. Scalars are already Convex values (BigInt -> bigint, Bytes ->
 * ArrayBuffer, JSON -> decoded value, enums -> their string).
 */
import type { ValidatorJSON, Value } from "convex/values";
import { takesWholeArgs } from "./names.ts";

function acceptsNull(validator: ValidatorJSON): boolean {
  return (
    validator.type === "null" ||
    validator.type === "any" ||
    (validator.type === "union" && validator.value.some(acceptsNull))
  );
}

function nonNullMember(validator: ValidatorJSON): ValidatorJSON {
  if (validator.type !== "union") return validator;
  const members = validator.value.filter((member) => member.type !== "null");
  return members.length === 1 && members[0] !== undefined ? members[0] : validator;
}

function convert(validator: ValidatorJSON, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const inner = nonNullMember(validator);
  if (inner.type === "array" && Array.isArray(value))
    return value.map((item) => convert(inner.value, item));
  if (inner.type === "object" && typeof value === "object" && !(value instanceof ArrayBuffer)) {
    return toConvexArgs(inner, value as Record<string, unknown>);
  }
  return value;
}

/** Converts a field's GraphQL arguments (or its `args: JSON` argument) to a Convex args object. */
export function toConvexArgs(
  validator: ValidatorJSON,
  graphqlArgs: Record<string, unknown>,
): Record<string, Value> {
  if (validator.type !== "object" || takesWholeArgs(validator)) {
    const raw = graphqlArgs["args"];
    return (raw === undefined || raw === null ? {} : raw) as Record<string, Value>;
  }
  const result: Record<string, Value> = {};
  for (const [key, spec] of Object.entries(validator.value)) {
    const value = graphqlArgs[key];
    if (value === undefined) {
      // GraphQL lets a client omit a nullable argument; Convex needs the field unless optional.
      if (!spec.optional && acceptsNull(spec.fieldType) && spec.fieldType.type !== "any")
        result[key] = null;
      continue;
    }
    if (value === null && spec.optional && !acceptsNull(spec.fieldType)) continue;
    result[key] = convert(spec.fieldType, value) as Value;
  }
  return result;
}
