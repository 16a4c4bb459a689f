/**
 * GraphQL type names for one schema, unique (`Name`, `Name2`, ...), and the leaf types that
 * inputs and outputs share: scalars for Convex's scalar validators and one enum per set of
 * string literals, named after where it first appears (`OrderStatus`).
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLString,
  type GraphQLScalarType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import { BigIntScalar, BytesScalar, JsonScalar } from "./scalars.ts";
import { isGraphQLName } from "./names.ts";

function stringLiterals(validator: ValidatorJSON): string[] | null {
  if (validator.type === "literal" && typeof validator.value === "string") return [validator.value];
  if (validator.type !== "union") return null;
  const values: string[] = [];
  for (const member of validator.value) {
    if (member.type !== "literal" || typeof member.value !== "string") return null;
    values.push(member.value);
  }
  return values.length > 0 ? values : null;
}

export class TypeNames {
  private readonly used = new Set(["Query", "Mutation", "Subscription", "BigInt", "Bytes", "JSON"]);
  private readonly enums = new Map<string, GraphQLEnumType>();

  /** `base`, or `base2`, `base3`... when taken. */
  unique(base: string): string {
    let name = base;
    for (let n = 2; this.used.has(name); n++) name = `${base}${n}`;
    this.used.add(name);
    return name;
  }

  has(name: string): boolean {
    return this.used.has(name);
  }

  /** One enum per set of values, named after where it first appears. */
  enumType(values: string[], nameHint: string): GraphQLEnumType | null {
    if (!values.every(isGraphQLName)) return null;
    const signature = JSON.stringify([...values].sort());
    const existing = this.enums.get(signature);
    if (existing !== undefined) return existing;
    const type = new GraphQLEnumType({
      name: this.unique(nameHint),
      values: Object.fromEntries(values.map((value) => [value, { value }])),
    });
    this.enums.set(signature, type);
    return type;
  }

  /** Scalars and enums (the same for input and output); null for arrays, objects, unions of objects. */
  leafType(validator: ValidatorJSON, nameHint: string): GraphQLScalarType | GraphQLEnumType | null {
    switch (validator.type) {
      case "string":
        return GraphQLString;
      case "number":
        return GraphQLFloat;
      case "boolean":
        return GraphQLBoolean;
      case "bigint":
        return BigIntScalar;
      case "bytes":
        return BytesScalar;
      case "id":
        return GraphQLID;
      case "literal": {
        const literal = validator.value;
        if (typeof literal === "string") return this.enumType([literal], nameHint) ?? GraphQLString;
        if (typeof literal === "number") return GraphQLFloat;
        if (typeof literal === "boolean") return GraphQLBoolean;
        return JsonScalar;
      }
      case "union": {
        const literals = stringLiterals(validator);
        if (literals !== null) return this.enumType(literals, nameHint) ?? JsonScalar;
        return validator.value.every((member) => member.type === "object") ? null : JsonScalar;
      }
      case "array":
      case "object":
        return null;
      default:
        return JsonScalar;
    }
  }
}
