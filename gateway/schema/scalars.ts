/**
 * Custom scalars for Convex values that GraphQL has no type for:
 * - `BigInt`: Convex int64, serialised as a decimal string (JSON numbers cannot hold 64 bits);
 *   accepts a string or an integer.
 * - `Bytes`: Convex bytes (ArrayBuffer), serialised as standard base64.
 * - `Void`: a value that is always `null` (`v.null()`; a mutation that returns nothing), as the
 *   community's `graphql-scalars` names it: the field is always null, and says so.
 * - `JSON`: any Convex value, in Convex's JSON encoding (`{"$integer": ...}` for int64, etc.), so
 *   every value round-trips exactly.
 */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { convexToJson, jsonToConvex, type Value } from "convex/values";
import { jsonValueNestsBeyond, TOO_NESTED_MESSAGE } from "../../lib/json_depth.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toInt64(value: unknown): bigint {
  let parsed: bigint;
  if (typeof value === "bigint") parsed = value;
  else if (typeof value === "number" && Number.isInteger(value)) parsed = BigInt(value);
  else if (typeof value === "string" && /^-?\d+$/.test(value)) parsed = BigInt(value);
  else
    throw new GraphQLError(
      `BigInt expects an integer or a decimal integer string, got ${JSON.stringify(value)}.`,
    );
  if (parsed < INT64_MIN || parsed > INT64_MAX) {
    throw new GraphQLError(`BigInt value ${parsed} is outside the int64 range.`);
  }
  return parsed;
}

export const BigIntScalar = new GraphQLScalarType<bigint, string>({
  name: "BigInt",
  description: "A Convex int64 (`v.int64()`), as a decimal string.",
  serialize: (value) => toInt64(value).toString(),
  parseValue: (value) => toInt64(value),
  parseLiteral: (node) => {
    if (node.kind === Kind.INT || node.kind === Kind.STRING) return toInt64(node.value);
    throw new GraphQLError("BigInt literals must be integers or strings.", { nodes: node });
  },
});

function toBytes(value: unknown): ArrayBuffer {
  if (
    typeof value !== "string" ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(value) ||
    value.length % 4 !== 0
  ) {
    throw new GraphQLError(`Bytes expects a standard base64 string, got ${JSON.stringify(value)}.`);
  }
  const buffer = Buffer.from(value, "base64");
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
}

export const VoidScalar = new GraphQLScalarType<null, null>({
  name: "Void",
  description: "Always `null` (`v.null()`): a Convex function that returns nothing.",
  serialize: () => null,
  parseValue: (value) => {
    if (value !== null)
      throw new GraphQLError(`Void only accepts null, got ${JSON.stringify(value)}.`);
    return null;
  },
  parseLiteral: (node) => {
    if (node.kind === Kind.NULL) return null;
    throw new GraphQLError("Void only accepts null.", { nodes: node });
  },
});

export const BytesScalar = new GraphQLScalarType<ArrayBuffer, string>({
  name: "Bytes",
  description: "Convex bytes (`v.bytes()`), as standard base64.",
  serialize: (value) => {
    if (value instanceof ArrayBuffer) return Buffer.from(value).toString("base64");
    throw new GraphQLError("Bytes can only serialise an ArrayBuffer.");
  },
  parseValue: toBytes,
  parseLiteral: (node) => {
    if (node.kind === Kind.STRING) return toBytes(node.value);
    throw new GraphQLError("Bytes literals must be base64 strings.", { nodes: node });
  },
});

function literalToJson(
  node: ValueNode,
  variables: Record<string, unknown> | null | undefined,
): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.ENUM:
      return node.value;
    case Kind.LIST:
      return node.values.map((item) => literalToJson(item, variables));
    case Kind.OBJECT:
      return Object.fromEntries(
        node.fields.map((field) => [field.name.value, literalToJson(field.value, variables)]),
      );
    case Kind.VARIABLE:
      return variables?.[node.name.value];
    default:
      return null;
  }
}

function fromJson(value: unknown): Value {
  if (jsonValueNestsBeyond(value))
    throw new GraphQLError(TOO_NESTED_MESSAGE, { extensions: { code: "BAD_USER_INPUT" } });
  try {
    return jsonToConvex(value as never);
  } catch (error) {
    throw new GraphQLError(`Invalid JSON value: ${(error as Error).message}`);
  }
}

export const JsonScalar = new GraphQLScalarType<Value, unknown>({
  name: "JSON",
  description:
    'Any Convex value, in Convex\'s JSON encoding (int64 as {"$integer": base64}, bytes as {"$bytes": base64}).',
  serialize: (value) => convexToJson(value as Value),
  parseValue: fromJson,
  parseLiteral: (node, variables) => fromJson(literalToJson(node, variables)),
});
