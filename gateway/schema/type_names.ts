/**
 * GraphQL type names for one schema, unique (`Name`, `Name2`, ...), and the leaf types that
 * inputs and outputs share: scalars for Convex's scalar validators and one enum per set of
 * string literals, named after where it first appears (`OrderStatus`). String literals that
 * cannot be enum values (`"in-progress"`, `"1st"`, and `"true"`, `"false"`, `"null"`, which
 * GraphQL reserves) make a `String` instead; a union of literals or scalars of one kind is that
 * scalar (`true | false` -> `Boolean`, `1 | 2` -> `Float`).
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
import type { Site } from "./fallbacks.ts";
import { BigIntScalar, BytesScalar, JsonScalar, VoidScalar } from "./scalars.ts";
import { isGraphQLName } from "./names.ts";

type UnionValidator = Extract<ValidatorJSON, { type: "union" }>;

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

/** GraphQL's enum values are names, but not these (the spec's `EnumValue` production). */
const RESERVED_ENUM_VALUES = new Set(["true", "false", "null"]);

/** Why one of `values` cannot be an enum value, or null when all can. */
function enumValuesProblem(values: readonly string[]): string | null {
  for (const value of values) {
    const literal = `the literal ${JSON.stringify(value)} cannot be an enum value`;
    if (RESERVED_ENUM_VALUES.has(value)) return `${literal}: GraphQL reserves true, false and null`;
    if (!isGraphQLName(value))
      return `${literal}: GraphQL names are letters, digits and _, not starting with a digit`;
  }
  return null;
}

/** The scalar of a literal's value (a bigint literal is `{"$integer": ...}` in validator JSON). */
function literalScalar(value: unknown): GraphQLScalarType | null {
  if (typeof value === "string") return GraphQLString;
  if (typeof value === "number") return GraphQLFloat;
  if (typeof value === "boolean") return GraphQLBoolean;
  if (typeof value === "object" && value !== null && "$integer" in value) return BigIntScalar;
  return null;
}

/** The scalar every value of `validator` is, or null (arrays, objects, unions, any...). */
function scalarOf(validator: ValidatorJSON): GraphQLScalarType | null {
  switch (validator.type) {
    case "string":
      return GraphQLString;
    case "number":
      return GraphQLFloat;
    case "boolean":
      return GraphQLBoolean;
    case "bigint":
    // `v.commitTs()`: an int64 once its mutation committed (only that mutation sees the placeholder).
    case "commitTs":
      return BigIntScalar;
    case "bytes":
      return BytesScalar;
    case "id":
      return GraphQLID;
    case "literal":
      return literalScalar(validator.value);
    default:
      return null;
  }
}

/** `string | number`, `"a" | 1`: a union's members, for a fallback's reason. */
function describeMembers(union: UnionValidator): string {
  const kinds = union.value.map((member) =>
    member.type === "literal" ? JSON.stringify(member.value) : member.type,
  );
  return [...new Set(kinds)].join(" | ");
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

  /** One enum per set of values, named after where it first appears; null when one is no name. */
  enumType(values: string[], nameHint: string): GraphQLEnumType | null {
    if (enumValuesProblem(values) !== null) return null;
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

  /**
   * Scalars and enums (the same for input and output); null for arrays, objects and unions of
   * objects. Records what falls back to `JSON` or `String` at `site`.
   */
  leafType(
    validator: ValidatorJSON,
    nameHint: string,
    site: Site,
  ): GraphQLScalarType | GraphQLEnumType | null {
    const literals = stringLiterals(validator);
    if (literals !== null) {
      const problem = enumValuesProblem(literals);
      if (problem === null) return this.enumType(literals, nameHint);
      site.fallback("String", problem);
      return GraphQLString;
    }
    switch (validator.type) {
      case "array":
      case "object":
        return null;
      case "any": // what the app declared (or what inference already reported)
        return JsonScalar;
      case "null": // a value that is always null
        return VoidScalar;
      case "record":
        site.fallback("JSON", "a record (`v.record`): GraphQL has no map type");
        return JsonScalar;
      case "union":
        return this.unionLeaf(validator, site);
      default:
        return scalarOf(validator) ?? this.json(site, `a literal of no GraphQL scalar type`);
    }
  }

  /** A union that is not all string literals: its members' one scalar, null (objects) or JSON. */
  private unionLeaf(union: UnionValidator, site: Site): GraphQLScalarType | null {
    if (union.value.some((member) => member.type === "any")) return JsonScalar;
    if (union.value.every((member) => member.type === "object")) return null;
    const scalars = new Set(union.value.map(scalarOf));
    const [only] = scalars;
    if (scalars.size === 1 && only !== undefined && only !== null) return only;
    return this.json(
      site,
      `a union of different kinds (\`${describeMembers(union)}\`): GraphQL unions hold object types only`,
    );
  }

  private json(site: Site, reason: string): GraphQLScalarType {
    site.fallback("JSON", reason);
    return JsonScalar;
  }
}
