/**
 * A contract's result types against what its functions return: every bound field's type is
 * walked beside the function's returns validator (through relations too), so that
 * - a non-null field over a value that can be null or missing is refused;
 * - an object field the result does not have, a leaf of the wrong kind, a list over a non-list
 *   are refused (a hand-narrowed `JSON` result is walked no further: Convex does not say);
 * - each object type learns the validators behind it (`backing`), which relation checks need;
 * - a union over a discriminated union of objects gets its `resolveType` (by the discriminant).
 */
import {
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLUnionType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { AppSchemaInfo } from "./app_description.ts";
import type { AnyField, ContractBindings } from "./contract_site.ts";
import { describeValidator, leafFits } from "./contract_fits.ts";
import type { Problems } from "./contract_problems.ts";
import { pageElement } from "./connection.ts";
import { documentTable, stripNull, type ObjectValidator } from "./table_documents.ts";
import { relationResultType } from "./contract_relations.ts";
import { unionMembers } from "./contract_unions.ts";

type Fields = ObjectValidator["value"];

/** An object validator's fields; a table's document gets the table's fields and system fields. */
export function objectFields(validator: ObjectValidator, tables: AppSchemaInfo | null): Fields {
  const table = documentTable(validator, tables);
  const documentType = table === null ? undefined : tables?.tables.get(table)?.documentType;
  if (documentType?.type !== "object") return validator.value;
  return {
    _creationTime: { fieldType: { type: "number" }, optional: false },
    ...documentType.value,
    ...validator.value,
  };
}

export class ResultCheck {
  /** The object validators found behind each object type. */
  readonly backing = new Map<GraphQLObjectType, ObjectValidator[]>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly bindings: ContractBindings,
    private readonly tables: AppSchemaInfo | null,
    private readonly problems: Problems,
  ) {}

  /** Checks a bound field's type against `validator` (null: unknown, trusted). */
  field(field: AnyField, validator: ValidatorJSON | null, where: string, paginated: boolean): void {
    if (!paginated) return this.check(field.type, validator, where, field);
    const connection = getNamedType(field.type);
    const edges = isObjectType(connection) ? connection.getFields()["edges"] : undefined;
    const edge = edges === undefined ? undefined : getNamedType(edges.type);
    const node = isObjectType(edge) ? edge.getFields()["node"] : undefined;
    if (!isObjectType(connection) || node === undefined || !connection.getFields()["pageInfo"]) {
      this.problems.add(
        field.astNode,
        where,
        "a paginated query's field returns a connection: `{ edges { cursor node } pageInfo }`",
      );
      return;
    }
    this.check(node.type, pageElement(validator), `${where}.edges.node`, field);
  }

  private check(
    type: GraphQLOutputType,
    validator: ValidatorJSON | null,
    where: string,
    at: AnyField,
  ): void {
    if (validator === null || validator.type === "any") return this.unknown(type);
    const { inner, nullable } = stripNull(validator);
    if (isNonNullType(type)) {
      if (nullable)
        this.problems.add(
          at.astNode,
          where,
          `is non-null, but the result can be null (${describeValidator(validator)})`,
        );
      return this.check(type.ofType, inner, where, at);
    }
    if (isListType(type)) {
      if (inner.type === "array") return this.check(type.ofType, inner.value, `${where}[]`, at);
      return this.problems.add(
        at.astNode,
        where,
        `is a list, but the result is ${describeValidator(inner)}`,
      );
    }
    if (isScalarType(type) || isEnumType(type)) {
      if (!leafFits(type, inner, "output"))
        this.problems.add(
          at.astNode,
          where,
          `${type.name} cannot hold the result, ${describeValidator(inner)}`,
        );
      return;
    }
    if (isUnionType(type)) return this.union(type, inner, where, at);
    if (!isObjectType(type)) return this.unknown(type); // an interface: not checked
    if (inner.type === "object") return this.object(type, inner);
    if (inner.type === "union") return this.unknown(type); // narrowed to one member by hand
    this.problems.add(
      at.astNode,
      where,
      `${type.name} is an object type, but the result is ${describeValidator(inner)}`,
    );
  }

  private object(type: GraphQLObjectType, validator: ObjectValidator): void {
    const key = `${type.name} ${JSON.stringify(validator)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.backing.set(type, [...(this.backing.get(type) ?? []), validator]);
    const fields = objectFields(validator, this.tables);
    for (const field of Object.values(type.getFields())) {
      const where = `${type.name}.${field.name}`;
      const relation = this.bindings.relations.get(field);
      if (relation !== undefined) {
        this.field(field, relationResultType(relation, field.type), where, relation.paginated);
        continue;
      }
      if (field.astNode?.directives?.some((node) => node.name.value === "convexRelation")) continue; // a relation that could not be bound: already reported
      const spec = fields[field.name];
      if (spec === undefined) {
        this.problems.add(
          field.astNode,
          where,
          `the result has no field "${field.name}" (it has: ${Object.keys(fields).join(", ")})`,
        );
        continue;
      }
      const fieldType: ValidatorJSON = spec.optional
        ? { type: "union", value: [spec.fieldType, { type: "null" }] }
        : spec.fieldType;
      this.check(field.type, fieldType, where, field);
    }
  }

  /** Below an unknown result only relations are known: their own results are checked. */
  private unknown(type: GraphQLOutputType): void {
    const named = getNamedType(type);
    if (!isObjectType(named) || this.seen.has(named.name)) return;
    this.seen.add(named.name);
    for (const field of Object.values(named.getFields())) {
      const relation = this.bindings.relations.get(field);
      if (relation !== undefined)
        this.field(
          field,
          relationResultType(relation, field.type),
          `${named.name}.${field.name}`,
          relation.paginated,
        );
      else this.unknown(field.type);
    }
  }

  /** Each member of a discriminated union goes to the member type that has its fields. */
  private union(
    type: GraphQLUnionType,
    validator: ValidatorJSON,
    where: string,
    at: AnyField,
  ): void {
    const members = unionMembers(type, validator, {
      fieldsOf: (member) => objectFields(member, this.tables),
      isRelation: (field) => this.bindings.relations.has(field),
    });
    if (typeof members === "string") return this.problems.add(at.astNode, where, members);
    for (const { type: member, validator: memberValidator } of members)
      this.object(member, memberValidator);
  }
}
