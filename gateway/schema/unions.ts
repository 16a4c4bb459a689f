/**
 * A union of object validators whose members hold distinct literals in one property (see
 * lib/validator_union.ts) becomes a GraphQL union: each member an object type of its own named
 * `<Union><Literal>` (`JobStatePending`), a value resolved to its member by that property. The
 * property has one type in every member (all the literals: an enum when they are names, else
 * `String`; `Boolean` for `true`/`false`), so a client can select it on each member without
 * aliases. Members that have the same fields once that property is widened (`{ kind: "pending" }`
 * and `{ kind: "queued" }`) still get a type each, so `__typename` and fragments tell them apart.
 * Two members that are both one table's document share that table's type.
 *
 * A union whose members are told apart by the fields they hold instead (`Doc<"channels"> |
 * Doc<"users">`, lib/validator_union.ts) is a GraphQL union too: a table's document is that
 * table's type, another member `<Union><Field>` after a required field only it has (else
 * `<Union><position>`), and a value resolves to the member whose fields it holds. Other unions
 * are JSON.
 */
import { jsonToConvex, type ValidatorJSON } from "convex/values";
import { GraphQLUnionType, type GraphQLObjectType } from "graphql";
import {
  discriminationOf,
  fieldOf,
  hasField,
  memberByFields,
  UNION_NOT_TOLD_APART,
} from "../../lib/validator_union.ts";
import { fieldNamesProblem, pascalCase } from "./names.ts";
import type { ObjectValidator } from "./table_documents.ts";
import type { TypeNames } from "./type_names.ts";

/** Builds a member's object type: from `member` (as the union has it) and `original` (as given). */
type MemberType = (
  member: ObjectValidator,
  nameHint: string,
  original: ObjectValidator,
) => GraphQLObjectType;

/**
 * The GraphQL union of `members`, or why there is none. `memberType` builds a member's object
 * type (a type of its own, not one shared with an identical shape elsewhere) from the member with
 * its discriminant widened; `original` is the member as given (its discriminant a literal).
 */
export function objectUnion(
  members: readonly ObjectValidator[],
  nameHint: string,
  names: TypeNames,
  memberType: MemberType,
): GraphQLUnionType | { readonly reason: string } {
  const discrimination = discriminationOf(members);
  if (discrimination === null) return { reason: UNION_NOT_TOLD_APART };
  for (const member of members) {
    const problem = fieldNamesProblem(Object.keys(member.value));
    if (problem !== null) return { reason: `a member of the union is no object type: ${problem}` };
  }
  if (discrimination.by === "fields") return unionByFields(members, nameHint, names, memberType);
  const key = discrimination.key;
  const name = names.unique(nameHint);
  const literals = members.map((member) => fieldOf(member, key)?.fieldType);
  const shared: ValidatorJSON = {
    type: "union",
    value: literals.filter((literal) => literal !== undefined),
  };
  // Named after the union (`FeedItemKind`), before any member names it after itself.
  const values = literals.map((literal) => (literal?.type === "literal" ? literal.value : null));
  if (values.every((value) => typeof value === "string"))
    names.enumType(values, `${name}${pascalCase(key)}`);
  // Keyed by the Convex value a result holds (a bigint literal's JSON is `{"$integer": ...}`).
  const byValue = new Map<unknown, GraphQLObjectType>();
  for (const member of members) {
    const literal = fieldOf(member, key)?.fieldType;
    const value = literal?.type === "literal" ? literal.value : null;
    const widened: ObjectValidator = {
      type: "object",
      value: { ...member.value, [key]: { fieldType: shared, optional: false } },
    };
    const type = memberType(widened, `${name}${pascalCase(JSON.stringify(value))}`, member);
    byValue.set(jsonToConvex(value), type);
  }
  const types = [...new Set(byValue.values())];
  return new GraphQLUnionType({
    name,
    description: `One of ${types.map((type) => `\`${type.name}\``).join(", ")}, told apart by \`${key}\`.`,
    types,
    resolveType: (value: Record<string, unknown>) => byValue.get(value[key])?.name,
  });
}

/** A required field of `member` that no other of `members` has, or null. */
function ownField(member: ObjectValidator, members: readonly ObjectValidator[]): string | null {
  const others = members.filter((other) => other !== member);
  const own = Object.keys(member.value).filter(
    (key) => member.value[key]?.optional !== true && others.every((other) => !hasField(other, key)),
  );
  return own[0] ?? null;
}

/** The union of `members` told apart by their fields: see the header. */
function unionByFields(
  members: readonly ObjectValidator[],
  nameHint: string,
  names: TypeNames,
  memberType: MemberType,
): GraphQLUnionType {
  const name = names.unique(nameHint);
  const types = members.map((member, index) => {
    const field = ownField(member, members);
    return memberType(member, `${name}${field === null ? index + 1 : pascalCase(field)}`, member);
  });
  return new GraphQLUnionType({
    name,
    description: `One of ${types.map((type) => `\`${type.name}\``).join(", ")}, told apart by the fields they hold.`,
    types,
    resolveType: (value: Record<string, unknown>) => types[memberByFields(members, value)]?.name,
  });
}
