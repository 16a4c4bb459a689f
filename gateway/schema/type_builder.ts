/**
 * Convex validators as GraphQL types, for inputs and outputs, each built once:
 * - `v.string` -> String, `v.number` -> Float, `v.int64` -> BigInt, `v.bytes` -> Bytes,
 *   `v.id` -> ID, `v.boolean` (or `true | false`) -> Boolean, a union of string literals -> an
 *   enum (`String` when a literal cannot be an enum value, see type_names.ts);
 * - an object that is exactly a table's document -> that table's type (`Order`); other objects
 *   -> object types named from where they appear, identical shapes sharing one type;
 * - a table defined as a union of objects -> a GraphQL union named after the table
 *   (`Notification` of `NotificationMention`, `NotificationDueSoon`), which its documents (and a
 *   union of them, `Doc<"notifications">`) are, one member alone being that member's type;
 * - a union of objects with a common literal discriminant -> a GraphQL union (see unions.ts);
 * - `v.any`, records, objects with non-GraphQL field names and other unions -> JSON, each
 *   recorded with its reason (fallbacks.ts) unless the app said `v.any()` or the value is `null`;
 * - an id field of a table with a fetch-by-id query gains a relation field (relations.ts), except
 *   `_id`: a document joined with more fields (`{ ...message, likes }`) does not point at itself.
 */
import {
  GraphQLFloat,
  GraphQLID,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLUnionType,
  type GraphQLFieldConfig,
  type GraphQLOutputType,
  type GraphQLScalarType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { AppSchemaInfo } from "./app_description.ts";
import { Site, type FallbackLog } from "./fallbacks.ts";
import { JsonScalar } from "./scalars.ts";
import { fieldNamesProblem, isGraphQLName, pascalCase, tableTypeName } from "./names.ts";
import { relationField, relationFieldName, type RelationIndex } from "./relations.ts";
import {
  documentTable,
  idReference,
  stripNull,
  tableUnionMembers,
  unionMemberIndex,
  withSystemFields,
  type ObjectValidator,
} from "./table_documents.ts";
import type { TypeNames } from "./type_names.ts";
import { objectUnion } from "./unions.ts";

type FieldSpec = ObjectValidator["value"][string];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- resolvers of many parent types
type Fields = Record<string, GraphQLFieldConfig<any, any>>;

/** A union table's GraphQL union and its member types, in the table's member order. */
interface TableUnion {
  readonly type: GraphQLUnionType;
  readonly members: readonly GraphQLObjectType[];
}

export class OutputTypes {
  private readonly objects = new Map<string, GraphQLOutputType>();
  /** Unions with no GraphQL union, and why: recorded again wherever they appear. */
  private readonly unionProblems = new Map<string, string>();
  readonly tableTypes = new Map<string, GraphQLObjectType>();
  /** Union tables' GraphQL unions, with their member types in the table's member order. */
  readonly tableUnions = new Map<string, TableUnion | null>();

  constructor(
    private readonly schema: AppSchemaInfo | null,
    readonly names: TypeNames,
    private readonly relations: RelationIndex,
    private readonly fallbacks: FallbackLog,
  ) {
    for (const table of schema?.tables.keys() ?? []) this.tableOutput(table);
  }

  /** The GraphQL type of a table's documents: its object type, or a union table's union. */
  tableOutput(table: string): GraphQLObjectType | GraphQLUnionType | undefined {
    return this.tableType(table) ?? this.tableUnion(table)?.type;
  }

  /** The union of a table defined as a union of objects with a discriminant. */
  private tableUnion(table: string): TableUnion | undefined {
    if (this.tableUnions.has(table)) return this.tableUnions.get(table) ?? undefined;
    const union = tableUnionMembers(this.schema?.tables.get(table)?.documentType);
    if (union === null) return undefined;
    this.tableUnions.set(table, null);
    let name = tableTypeName(table);
    if (this.names.has(name)) name = `${name}Document`;
    const site = new Site(this.fallbacks, "schema.ts", table);
    const documents = union.members.map((member) => withSystemFields(member, table));
    const members: GraphQLObjectType[] = [];
    const description = `A document of the Convex table \`${table}\`.`;
    const built = objectUnion(documents, name, this.names, (member, hint) => {
      const type = this.newObjectType(member, hint, site, description);
      members.push(type);
      return type;
    });
    if (!(built instanceof GraphQLUnionType)) {
      site.fallback("JSON", built.reason);
      return undefined;
    }
    const entry = { type: built, members };
    this.tableUnions.set(table, entry);
    return entry;
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
      ...this.valueFields(documentType.value, name, new Site(this.fallbacks, "schema.ts", table)),
    };
    const type: GraphQLObjectType = new GraphQLObjectType({
      name,
      description: `A document of the Convex table \`${table}\`.`,
      fields: () => ({ ...own, ...this.relationFields(documentType.value, own) }),
    });
    this.tableTypes.set(table, type);
    return type;
  }

  private valueFields(fields: Record<string, FieldSpec>, parentName: string, site: Site): Fields {
    const result: Fields = {};
    for (const [key, spec] of Object.entries(fields)) {
      const hint = `${parentName}${pascalCase(key)}`;
      result[key] = { type: this.output(spec.fieldType, hint, site.at(`.${key}`), spec.optional) };
    }
    return result;
  }

  /** `<key>Doc` / `<key>Docs` for id fields of tables that have a fetch-by-id query. */
  private relationFields(fields: Record<string, FieldSpec>, taken: Fields): Fields {
    const result: Fields = {};
    for (const [key, spec] of Object.entries(fields)) {
      // `_id` is the object itself (a document joined with more fields), not a reference.
      const reference = key === "_id" ? null : idReference(spec.fieldType);
      if (reference === null) continue;
      const target = this.relations.targets.get(reference.table);
      const type = this.tableOutput(reference.table);
      const name = relationFieldName(key, reference.list);
      if (target === undefined || type === undefined || name in taken || name in fields) continue;
      // A list of ids that is always there is always a list (of documents or nulls).
      const always = reference.list && !spec.optional && !stripNull(spec.fieldType).nullable;
      result[name] = relationField(key, target, type, reference.list, always);
    }
    return result;
  }

  /**
   * The GraphQL output type of a validator found at `site` (non-null unless optional or
   * nullable); what falls back to JSON is recorded there.
   */
  output(
    validator: ValidatorJSON,
    nameHint: string,
    site: Site,
    optional = false,
  ): GraphQLOutputType {
    const { inner, nullable } = stripNull(validator);
    const type = this.nullableOutput(inner, nameHint, site);
    return optional || nullable || type === JsonScalar ? type : new GraphQLNonNull(type);
  }

  private nullableOutput(
    validator: ValidatorJSON,
    nameHint: string,
    site: Site,
  ): Exclude<GraphQLOutputType, GraphQLNonNull<never>> {
    const leaf = this.names.leafType(validator, nameHint, site);
    if (leaf !== null) return leaf;
    switch (validator.type) {
      case "array":
        return new GraphQLList(this.output(validator.value, nameHint, site.at("[]")));
      case "object":
        return this.objectType(validator, nameHint, site);
      case "union": {
        const table = documentTable(validator, this.schema);
        const tableUnion = table === null ? undefined : this.tableUnion(table);
        if (tableUnion !== undefined) return tableUnion.type;
        return this.unionType(validator.value as ObjectValidator[], nameHint, site);
      }
      default:
        return JsonScalar;
    }
  }

  /** A union of objects (leafType let through only those): one per set of members. */
  private unionType(
    members: ObjectValidator[],
    nameHint: string,
    site: Site,
  ): GraphQLUnionType | GraphQLScalarType {
    const signature = JSON.stringify(members);
    const cached = this.objects.get(signature);
    if (cached instanceof GraphQLUnionType) return cached;
    const problem = this.unionProblems.get(signature);
    if (problem !== undefined) {
      site.fallback("JSON", problem);
      return JsonScalar;
    }
    const union = objectUnion(
      members,
      nameHint,
      this.names,
      // A union table's member is told by its literal discriminant, which `member` has widened.
      (member, hint, original) =>
        this.tableDocumentType(original) ?? this.newObjectType(member, hint, site),
    );
    if (union instanceof GraphQLUnionType) {
      this.objects.set(signature, union);
      return union;
    }
    this.unionProblems.set(signature, union.reason);
    site.fallback("JSON", union.reason);
    return JsonScalar;
  }

  /** The table type `validator` is a document of: a table's, or a union table member's. */
  private tableDocumentType(validator: ObjectValidator): GraphQLObjectType | undefined {
    const table = documentTable(validator, this.schema);
    if (table === null) return undefined;
    const objectType = this.tableType(table);
    if (objectType !== undefined) return objectType;
    const union = tableUnionMembers(this.schema?.tables.get(table)?.documentType);
    const index = union === null ? -1 : unionMemberIndex(validator, union);
    return this.tableUnion(table)?.members[index];
  }

  private objectType(
    validator: ObjectValidator,
    nameHint: string,
    site: Site,
  ): GraphQLObjectType | GraphQLScalarType {
    const tableType = this.tableDocumentType(validator);
    if (tableType !== undefined) return tableType;
    const problem = fieldNamesProblem(Object.keys(validator.value));
    if (problem !== null) {
      site.fallback("JSON", problem);
      return JsonScalar;
    }
    const cached = this.objects.get(JSON.stringify(validator));
    if (cached instanceof GraphQLObjectType) return cached;
    return this.newObjectType(validator, nameHint, site);
  }

  /** A new object type (the first of its shape is the one later identical shapes share). */
  private newObjectType(
    validator: ObjectValidator,
    nameHint: string,
    site: Site,
    description?: string,
  ): GraphQLObjectType {
    const name = this.names.unique(nameHint);
    const type = new GraphQLObjectType({
      name,
      ...(description !== undefined ? { description } : {}),
      fields: () => {
        const own = this.valueFields(validator.value, name, site);
        return { ...own, ...this.relationFields(validator.value, own) };
      },
    });
    const signature = JSON.stringify(validator);
    if (!this.objects.has(signature)) this.objects.set(signature, type);
    return type;
  }
}
