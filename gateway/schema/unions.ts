/**
 * A union of object validators whose members hold distinct literals in one property (see
 * lib/validator_union.ts) becomes a GraphQL union: each member an object type named
 * `<Union><Literal>`, a value resolved to its member by that property. The property has one type
 * in every member (all the literals: an enum when they are names), so a client can select it on
 * each member without aliases. Other unions are JSON.
 */
import type { ValidatorJSON } from "convex/values";
import { GraphQLUnionType, type GraphQLObjectType, type GraphQLScalarType } from "graphql";
import { discriminantOf } from "../../lib/validator_union.ts";
import { JsonScalar } from "./scalars.ts";
import { pascalCase } from "./names.ts";
import type { ObjectValidator } from "./table_documents.ts";
import type { TypeNames } from "./type_names.ts";

export function objectUnion(
  members: readonly ObjectValidator[],
  nameHint: string,
  names: TypeNames,
  objectType: (member: ObjectValidator, nameHint: string) => GraphQLObjectType | GraphQLScalarType,
): GraphQLUnionType | GraphQLScalarType {
  const key = discriminantOf(members);
  if (key === null) return JsonScalar;
  const name = names.unique(nameHint);
  const literals = members.map((member) => member.value[key]?.fieldType);
  const shared: ValidatorJSON = {
    type: "union",
    value: literals.filter((literal) => literal !== undefined),
  };
  // Named after the union (`FeedItemKind`), before any member names it after itself.
  const values = literals.map((literal) => (literal?.type === "literal" ? literal.value : null));
  if (values.every((value) => typeof value === "string"))
    names.enumType(values, `${name}${pascalCase(key)}`);
  const byValue = new Map<unknown, GraphQLObjectType>();
  for (const member of members) {
    const spec = member.value[key];
    const value = spec?.fieldType.type === "literal" ? spec.fieldType.value : undefined;
    const widened: ObjectValidator = {
      type: "object",
      value: { ...member.value, [key]: { fieldType: shared, optional: false } },
    };
    const type = objectType(widened, `${name}${pascalCase(JSON.stringify(value ?? null))}`);
    if (type === JsonScalar || !("getFields" in type)) return JsonScalar;
    byValue.set(value, type);
  }
  const types = [...byValue.values()];
  if (new Set(types).size !== types.length) return JsonScalar;
  return new GraphQLUnionType({
    name,
    description: `One of ${types.map((type) => `\`${type.name}\``).join(", ")}, told apart by \`${key}\`.`,
    types,
    resolveType: (value: Record<string, unknown>) => byValue.get(value[key])?.name,
  });
}
