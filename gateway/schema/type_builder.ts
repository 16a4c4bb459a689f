/**
 * Convex validators as GraphQL types, for inputs and outputs, each built once:
 * - `v.string` -> String, `v.number` -> Float, `v.int64` -> BigInt, `v.bytes` -> Bytes,
 *   `v.id` -> ID, `v.boolean` -> Boolean, a union of string literals -> an enum;
 * - an object that is exactly a table's document -> that table's type (`Order`); other objects
 *   -> object types named from where they appear, identical shapes sharing one type;
 * - a union of objects with a common literal discriminant -> a GraphQL union (see unions.ts);
 * - `v.any`, records and other unions -> JSON;
 * - an id field of a table with a fetch-by-id query gains a relation field (relations.ts).
 */
import {
  GraphQLFloat,
  GraphQLID,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLFieldConfig,
  type GraphQLOutputType,
  type GraphQLScalarType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { AppSchemaInfo } from "./app_description.ts";
import { JsonScalar } from "./scalars.ts";
import { isGraphQLName, pascalCase, tableTypeName } from "./names.ts";
import { relationField, relationFieldName, type RelationIndex } from "./relations.ts";
import { documentTable, idReference, stripNull, type ObjectValidator } from "./table_documents.ts";
import type { TypeNames } from "./type_names.ts";
import { objectUnion } from "./unions.ts";

type FieldSpec = ObjectValidator["value"][string];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- resolvers of many parent types
type Fields = Record<string, GraphQLFieldConfig<any, any>>;

export class OutputTypes {
  private readonly objects = new Map<string, GraphQLOutputType>();
  readonly tableTypes = new Map<string, GraphQLObjectType>();

  constructor(
    private readonly schema: AppSchemaInfo | null,
    readonly names: TypeNames,
    private readonly relations: RelationIndex,
  ) {
    for (const table of schema?.tables.keys() ?? []) this.tableType(table);
  }

  /** The object type of a table's documents (only for tables with a document validator). */
  tableType(table: string): GraphQLObjectType | undefined {
    const existing = this.tableTypes.get(table);
    if (existing !== undefined) return existing;
    const documentType = this.schema?.tables.get(table)?.documentType;
    if (documentType?.type !== "object") return undefined;
    if (!Object.keys(documentType.value).every(isGraphQLName)) return undefined;
    let name = tableTypeName(table);
    if (this.names.has(name)) name = `${name}Document`;
    name = this.names.unique(name);
    // Fields are built now (not lazily) so the table's enums get the table's names (`OrderStatus`);
    // relation fields lazily, as they refer to other tables' types.
    const own = {
      _id: {
        type: new GraphQLNonNull(GraphQLID),
        description: 'The document id (`v.id("' + table + '")`).',
      },
      _creationTime: {
        type: new GraphQLNonNull(GraphQLFloat),
        description: "Creation time, in ms since the Unix epoch.",
      },
      ...this.valueFields(documentType.value, name),
    };
    const type: GraphQLObjectType = new GraphQLObjectType({
      name,
      description: `A document of the Convex table \`${table}\`.`,
      fields: () => ({ ...own, ...this.relationFields(documentType.value, own) }),
    });
    this.tableTypes.set(table, type);
    return type;
  }

  private valueFields(fields: Record<string, FieldSpec>, parentName: string): Fields {
    const result: Fields = {};
    for (const [key, spec] of Object.entries(fields)) {
      result[key] = {
        type: this.output(spec.fieldType, `${parentName}${pascalCase(key)}`, spec.optional),
      };
    }
    return result;
  }

  /** `<key>Doc` / `<key>Docs` for id fields of tables that have a fetch-by-id query. */
  private relationFields(fields: Record<string, FieldSpec>, taken: Fields): Fields {
    const result: Fields = {};
    for (const [key, spec] of Object.entries(fields)) {
      const reference = idReference(spec.fieldType);
      if (reference === null) continue;
      const target = this.relations.targets.get(reference.table);
      const type = this.tableType(reference.table);
      const name = relationFieldName(key, reference.list);
      if (target === undefined || type === undefined || name in taken || name in fields) continue;
      result[name] = relationField(key, target, type, reference.list);
    }
    return result;
  }

  /** The GraphQL output type of a validator (non-null unless optional or nullable). */
  output(validator: ValidatorJSON | null, nameHint: string, optional = false): GraphQLOutputType {
    if (validator === null) return JsonScalar;
    const { inner, nullable } = stripNull(validator);
    const type = this.nullableOutput(inner, nameHint);
    return optional || nullable || type === JsonScalar ? type : new GraphQLNonNull(type);
  }

  private nullableOutput(
    validator: ValidatorJSON,
    nameHint: string,
  ): Exclude<GraphQLOutputType, GraphQLNonNull<never>> {
    const leaf = this.names.leafType(validator, nameHint);
    if (leaf !== null) return leaf;
    switch (validator.type) {
      case "array":
        return new GraphQLList(this.output(validator.value, nameHint));
      case "object":
        return this.objectType(validator, nameHint);
      case "union": {
        const signature = JSON.stringify(validator);
        const cached = this.objects.get(signature);
        if (cached !== undefined) return cached;
        const members = validator.value as ObjectValidator[];
        const type = objectUnion(members, nameHint, this.names, (member, hint) =>
          this.objectType(member, hint),
        );
        this.objects.set(signature, type);
        return type;
      }
      default:
        return JsonScalar;
    }
  }

  private objectType(
    validator: ObjectValidator,
    nameHint: string,
  ): GraphQLObjectType | GraphQLScalarType {
    const table = documentTable(validator, this.schema);
    const tableType = table === null ? undefined : this.tableType(table);
    if (tableType !== undefined) return tableType;
    const keys = Object.keys(validator.value);
    if (!keys.every(isGraphQLName) || keys.length === 0) return JsonScalar;
    const signature = JSON.stringify(validator);
    const cached = this.objects.get(signature);
    if (cached !== undefined) return cached as GraphQLObjectType;
    const name = this.names.unique(nameHint);
    const type = new GraphQLObjectType({
      name,
      fields: () => {
        const own = this.valueFields(validator.value, name);
        return { ...own, ...this.relationFields(validator.value, own) };
      },
    });
    this.objects.set(signature, type);
    return type;
  }
}
