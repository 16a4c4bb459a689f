/**
 * A contract's union over a union of objects whose members a value tells apart (by one literal
 * field, or by the fields they hold: lib/validator_union.ts): each validator member goes to the
 * union member type whose fields it has (the one at the same position when several do), and the
 * union resolves a value to its member by the discriminant's value, or by the fields it holds.
 */
import type { GraphQLObjectType, GraphQLUnionType } from "graphql";
import type { ValidatorJSON } from "convex/values";
import { discriminationOf, fieldOf, memberByFields } from "../../lib/validator_union.ts";
import { describeValidator } from "./contract_fits.ts";
import type { AnyField } from "./contract_site.ts";
import type { ObjectValidator } from "./table_documents.ts";

export interface UnionMember {
  readonly type: GraphQLObjectType;
  readonly validator: ObjectValidator;
}

/**
 * The member types of `type` paired with the members of `validator`, with `type.resolveType`
 * set; or why they cannot be paired.
 */
export function unionMembers(
  type: GraphQLUnionType,
  validator: ValidatorJSON,
  helpers: {
    fieldsOf: (member: ObjectValidator) => ObjectValidator["value"];
    isRelation: (field: AnyField) => boolean;
  },
): UnionMember[] | string {
  const members = validator.type === "union" ? (validator.value as ObjectValidator[]) : [];
  const discrimination = members.every((member) => member.type === "object")
    ? discriminationOf(members)
    : null;
  if (discrimination === null)
    return `is a union, but the result is not a union of objects told apart by one literal field or by their fields (${describeValidator(validator)})`;
  const key = discrimination.by === "literal" ? discrimination.key : null;
  const types = [...type.getTypes()];
  const byValue = new Map<unknown, string>();
  const paired: UnionMember[] = [];
  for (const [index, member] of members.entries()) {
    const fields = helpers.fieldsOf(member);
    const fits = types.filter((candidate) =>
      Object.values(candidate.getFields()).every(
        (field) => field.name in fields || helpers.isRelation(field),
      ),
    );
    const chosen = fits.includes(types[index] as GraphQLObjectType) ? types[index] : fits[0];
    const literal = key === null ? undefined : fieldOf(member, key)?.fieldType;
    if (chosen === undefined)
      return `no member of ${type.name} has the fields of ${memberName(key, literal, index)}`;
    if (literal?.type === "literal") byValue.set(literal.value, chosen.name);
    paired.push({ type: chosen, validator: member });
  }
  type.resolveType = (value: Record<string, unknown>) =>
    key !== null ? byValue.get(value[key]) : paired[memberByFields(members, value)]?.type.name;
  return paired;
}

/** The result's member, for a problem: `kind: "post"`, or its position. */
function memberName(key: string | null, literal: ValidatorJSON | undefined, index: number): string {
  return key === null
    ? `the result's member ${index + 1}`
    : `the result's member \`${key}: ${JSON.stringify(literal?.type === "literal" ? literal.value : null)}\``;
}
