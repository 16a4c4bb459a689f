/**
 * Whether a GraphQL leaf type (scalar or enum) can carry the values of a Convex validator: the
 * checks a contract's hand-written types get, for arguments (GraphQL -> Convex) and results
 * (Convex -> GraphQL). An unknown custom scalar and `JSON` carry anything.
 */
import { isEnumType, isScalarType, type GraphQLNamedType } from "graphql";
import type { ValidatorJSON } from "convex/values";

/** Validator types each built-in or Convex scalar carries. */
const SCALAR_CARRIES: Readonly<Record<string, readonly string[]>> = {
  String: ["string"],
  ID: ["id", "string"],
  Float: ["number"],
  Int: ["number"],
  Boolean: ["boolean"],
  BigInt: ["bigint", "int64", "commitTs"],
  Bytes: ["bytes"],
  Void: ["null"],
};

function literals(validator: ValidatorJSON): unknown[] | null {
  if (validator.type === "literal") return [validator.value];
  if (validator.type !== "union") return null;
  const values: unknown[] = [];
  for (const member of validator.value) {
    if (member.type !== "literal") return null;
    values.push(member.value);
  }
  return values;
}

/** A short description of a validator, for messages: `v.string()`, `a union of literals`. */
export function describeValidator(validator: ValidatorJSON): string {
  switch (validator.type) {
    case "id":
      return `v.id("${validator.tableName}")`;
    case "literal":
      return `v.literal(${JSON.stringify(validator.value)})`;
    case "union":
      return literals(validator) !== null ? "a union of literals" : "a union";
    default:
      return `v.${validator.type}()`;
  }
}

/**
 * True when `type` fits `validator` (already without `null`). `direction`: "output" needs every
 * value the validator allows to be one the type can serialise; "input" every value the type
 * accepts to be one the validator allows.
 */
export function leafFits(
  type: GraphQLNamedType,
  validator: ValidatorJSON,
  direction: "input" | "output",
): boolean {
  if (validator.type === "any") return true;
  const values = literals(validator);
  if (isEnumType(type)) {
    if (validator.type === "string") return direction === "output" ? false : true;
    if (values === null) return false;
    const names = type.getValues().map((value) => value.value as unknown);
    return direction === "output"
      ? values.every((value) => names.includes(value))
      : names.every((name) => values.includes(name));
  }
  if (!isScalarType(type)) return false;
  const carries = SCALAR_CARRIES[type.name];
  if (carries === undefined) return true; // JSON, or a custom scalar of the contract's
  if (values !== null) {
    // Input: the scalar accepts values the literals do not, which Convex's argument validation
    // then refuses (BAD_USER_INPUT), as the derived schema's own `String` over `"in-progress"`.
    const kind = type.name === "ID" ? "string" : carries[0];
    return values.every((value) => typeof value === kind);
  }
  return carries.includes(validator.type);
}
