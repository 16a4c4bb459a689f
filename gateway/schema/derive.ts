/**
 * Derives the default GraphQL schema from a Convex app's functions and `schema.ts`:
 * - each public query is a `Query` field and a `Subscription` field (a live query); each public
 *   mutation or action is a `Mutation` field; internal functions are never exposed;
 * - arguments come from the args validators, results from the returns validators (a document of
 *   a table becomes that table's type, e.g. `Order` with `_id: ID!` and `_creationTime: Float!`),
 *   or `JSON` when a function declares none.
 * Field resolvers call Convex through `context.convex` (see gateway/context.ts).
 */
import type { GraphQLScalarType } from "graphql";
import {
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  DirectiveLocation,
  specifiedDirectives,
  Kind,
  type GraphQLFieldConfig,
  type GraphQLResolveInfo,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLInputType,
  type GraphQLOutputType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { AppDescription, FunctionInfo } from "./app_description.ts";
import type { GatewayContext } from "../context.ts";
import { BigIntScalar, BytesScalar, JsonScalar } from "./scalars.ts";
import { assignFieldNames, isGraphQLName, pascalCase, tableTypeName } from "./names.ts";
import { toConvexArgs } from "./convert.ts";

type ObjectValidator = Extract<ValidatorJSON, { type: "object" }>;
type FieldSpec = ObjectValidator["value"][string];

/** `@live` on a query makes it behave like a subscription (re-sent when its data changes). */
export const LiveDirective = new GraphQLDirective({
  name: "live",
  description:
    "Keep this query's result up to date: it is re-sent whenever the data it read changes.",
  locations: [DirectiveLocation.QUERY],
});

/** What the gateway knows about each root field: the Convex function behind it. */
export interface RootFieldBinding {
  readonly fieldName: string;
  readonly fn: FunctionInfo;
}

export interface DerivedSchema {
  readonly schema: GraphQLSchema;
  /** Root field name -> Convex function, per root type. */
  readonly bindings: {
    readonly query: ReadonlyMap<string, RootFieldBinding>;
    readonly mutation: ReadonlyMap<string, RootFieldBinding>;
  };
}

function stripNull(validator: ValidatorJSON): { inner: ValidatorJSON; nullable: boolean } {
  if (validator.type !== "union") return { inner: validator, nullable: validator.type === "null" };
  const members = validator.value.filter((member) => member.type !== "null");
  const nullable = members.length !== validator.value.length;
  if (members.length === 1 && members[0] !== undefined) return { inner: members[0], nullable };
  return { inner: { type: "union", value: members }, nullable };
}

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

class TypeBuilder {
  private readonly outputTypes = new Map<string, GraphQLOutputType>();
  private readonly inputTypes = new Map<string, GraphQLInputType>();
  private readonly enums = new Map<string, GraphQLEnumType>();
  private readonly usedNames = new Set([
    "Query",
    "Mutation",
    "Subscription",
    "BigInt",
    "Bytes",
    "JSON",
  ]);
  readonly tableTypes = new Map<string, GraphQLObjectType>();

  constructor(private readonly schema: AppDescription["schema"]) {
    for (const [name, table] of schema?.tables ?? []) {
      if (table.documentType?.type !== "object") continue;
      this.tableType(name);
    }
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let n = 2; this.usedNames.has(name); n++) name = `${base}${n}`;
    this.usedNames.add(name);
    return name;
  }

  /** The object type of a table's documents (only for tables with a document validator). */
  tableType(table: string): GraphQLObjectType | undefined {
    const existing = this.tableTypes.get(table);
    if (existing !== undefined) return existing;
    const documentType = this.schema?.tables.get(table)?.documentType;
    if (documentType?.type !== "object") return undefined;
    const validNames = Object.keys(documentType.value).every(isGraphQLName);
    if (!validNames) return undefined;
    let name = tableTypeName(table);
    if (this.usedNames.has(name)) name = `${name}Document`;
    name = this.uniqueName(name);
    // Fields are built now (not lazily) so the table's enums get the table's names (`OrderStatus`).
    const fields = {
      _id: {
        type: new GraphQLNonNull(GraphQLID),
        description: 'The document id (`v.id("' + table + '")`).',
      },
      _creationTime: {
        type: new GraphQLNonNull(GraphQLFloat),
        description: "Creation time, in ms since the Unix epoch.",
      },
      ...this.objectFields(documentType.value, name),
    };
    const type: GraphQLObjectType = new GraphQLObjectType({
      name,
      description: `A document of the Convex table \`${table}\`.`,
      fields,
    });
    this.tableTypes.set(table, type);
    return type;
  }

  /** The table a validator's documents belong to, when it is exactly that table's document. */
  private matchingTable(validator: ObjectValidator): string | null {
    const id = validator.value["_id"]?.fieldType;
    if (id?.type !== "id") return null;
    const documentType = this.schema?.tables.get(id.tableName)?.documentType;
    if (documentType?.type !== "object") return null;
    const own = Object.keys(validator.value)
      .filter((key) => key !== "_id" && key !== "_creationTime")
      .sort();
    const table = Object.keys(documentType.value).sort();
    return JSON.stringify(own) === JSON.stringify(table) ? id.tableName : null;
  }

  private objectFields(
    fields: Record<string, FieldSpec>,
    parentName: string,
  ): Record<string, GraphQLFieldConfig<unknown, unknown>> {
    const result: Record<string, GraphQLFieldConfig<unknown, unknown>> = {};
    for (const [key, spec] of Object.entries(fields)) {
      result[key] = {
        type: this.output(spec.fieldType, `${parentName}${pascalCase(key)}`, spec.optional),
      };
    }
    return result;
  }

  private enumType(values: string[], nameHint: string): GraphQLEnumType | null {
    if (!values.every(isGraphQLName)) return null;
    const signature = JSON.stringify([...values].sort());
    const existing = this.enums.get(signature);
    if (existing !== undefined) return existing;
    const type = new GraphQLEnumType({
      name: this.uniqueName(nameHint),
      values: Object.fromEntries(values.map((value) => [value, { value }])),
    });
    this.enums.set(signature, type);
    return type;
  }

  /**
   * Scalars and enums, the same for input and output: `v.string` -> String, `v.number` -> Float,
   * `v.int64` -> BigInt, `v.bytes` -> Bytes, `v.id` -> ID, string literals -> an enum, `v.any`,
   * records and mixed unions -> JSON. Null for arrays and objects.
   */
  private leafType(
    validator: ValidatorJSON,
    nameHint: string,
  ): GraphQLScalarType | GraphQLEnumType | null {
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
        return (literals !== null ? this.enumType(literals, nameHint) : null) ?? JsonScalar;
      }
      case "array":
      case "object":
        return null;
      default:
        return JsonScalar;
    }
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
    const leaf = this.leafType(validator, nameHint);
    if (leaf !== null) return leaf;
    switch (validator.type) {
      case "array":
        return new GraphQLList(this.output(validator.value, nameHint));
      case "object": {
        const table = this.matchingTable(validator);
        const tableType = table === null ? undefined : this.tableType(table);
        if (tableType !== undefined) return tableType;
        if (
          !Object.keys(validator.value).every(isGraphQLName) ||
          Object.keys(validator.value).length === 0
        )
          return JsonScalar;
        const cached = this.outputTypes.get(JSON.stringify(validator));
        if (cached !== undefined) return cached as GraphQLObjectType;
        const name = this.uniqueName(nameHint);
        const type = new GraphQLObjectType({
          name,
          fields: () => this.objectFields(validator.value, name),
        });
        this.outputTypes.set(JSON.stringify(validator), type);
        return type;
      }
      default:
        return JsonScalar;
    }
  }

  /** The GraphQL input type of a validator (non-null unless optional or nullable). */
  input(validator: ValidatorJSON, nameHint: string, optional = false): GraphQLInputType {
    const { inner, nullable } = stripNull(validator);
    const type = this.nullableInput(inner, nameHint);
    return optional || nullable || type === JsonScalar ? type : new GraphQLNonNull(type);
  }

  private nullableInput(
    validator: ValidatorJSON,
    nameHint: string,
  ): Exclude<GraphQLInputType, GraphQLNonNull<never>> {
    const leaf = this.leafType(validator, nameHint);
    if (leaf !== null) return leaf;
    switch (validator.type) {
      case "array":
        return new GraphQLList(this.input(validator.value, nameHint));
      case "object": {
        const keys = Object.keys(validator.value);
        if (!keys.every(isGraphQLName) || keys.length === 0) return JsonScalar;
        const signature = JSON.stringify(validator);
        const cached = this.inputTypes.get(signature);
        if (cached !== undefined) return cached;
        const name = this.uniqueName(`${nameHint}Input`);
        const type = new GraphQLInputObjectType({
          name,
          fields: () =>
            Object.fromEntries(
              Object.entries(validator.value).map(([key, spec]) => [
                key,
                {
                  type: this.input(
                    spec.fieldType,
                    `${name.replace(/Input$/, "")}${pascalCase(key)}`,
                    spec.optional,
                  ),
                },
              ]),
            ),
        });
        this.inputTypes.set(signature, type);
        return type;
      }
      default:
        return JsonScalar;
    }
  }

  /** Field arguments from an args validator: the object's fields, or one `args: JSON` argument. */
  args(validator: ValidatorJSON, nameHint: string): GraphQLFieldConfigArgumentMap {
    if (validator.type === "object") {
      if (!Object.keys(validator.value).every(isGraphQLName)) return { args: { type: JsonScalar } };
      return Object.fromEntries(
        Object.entries(validator.value).map(([key, spec]) => [
          key,
          { type: this.input(spec.fieldType, `${nameHint}${pascalCase(key)}`, spec.optional) },
        ]),
      );
    }
    return {
      args: {
        type: JsonScalar,
        description: "The function's arguments object (it declares no args validator).",
      },
    };
  }
}

function describeFunction(fn: FunctionInfo, live: boolean): string {
  const kind =
    fn.kind === "action"
      ? "action (not transactional: it may have side effects and is not retried)"
      : fn.kind;
  return live
    ? `Live Convex query \`${fn.path}\`: the current result, then a new one whenever the data it read changes.`
    : `Convex ${kind} \`${fn.path}\`.`;
}

/** Builds the derived schema. */
export function deriveSchema(app: AppDescription): DerivedSchema {
  const types = new TypeBuilder(app.schema);
  const publicFunctions = app.functions.filter((fn) => fn.visibility === "public");
  const names = assignFieldNames(publicFunctions.map((fn) => fn.path));
  const queryFields: Record<string, GraphQLFieldConfig<unknown, GatewayContext>> = {};
  const subscriptionFields: Record<string, GraphQLFieldConfig<unknown, GatewayContext>> = {};
  const mutationFields: Record<string, GraphQLFieldConfig<unknown, GatewayContext>> = {};
  const queryBindings = new Map<string, RootFieldBinding>();
  const mutationBindings = new Map<string, RootFieldBinding>();

  for (const fn of publicFunctions) {
    const fieldName = names.get(fn.path) ?? fn.path;
    const hint = pascalCase(fieldName);
    const args = types.args(fn.args, hint);
    const type = types.output(fn.returns, `${hint}Result`);
    const resolve = (
      _root: unknown,
      graphqlArgs: Record<string, unknown>,
      context: GatewayContext,
      info: GraphQLResolveInfo,
    ): Promise<unknown> =>
      context.convex.run(fn.kind, fn.path, toConvexArgs(fn.args, graphqlArgs), {
        soleRootField:
          info.operation.selectionSet.selections.length === 1 &&
          info.operation.selectionSet.selections[0]?.kind === Kind.FIELD,
      });
    if (fn.kind === "query") {
      queryFields[fieldName] = { type, args, description: describeFunction(fn, false), resolve };
      subscriptionFields[fieldName] = {
        type,
        args,
        description: describeFunction(fn, true),
        resolve,
      };
      queryBindings.set(fieldName, { fieldName, fn });
    } else {
      mutationFields[fieldName] = { type, args, description: describeFunction(fn, false), resolve };
      mutationBindings.set(fieldName, { fieldName, fn });
    }
  }

  if (Object.keys(queryFields).length === 0) {
    queryFields["_empty"] = {
      type: GraphQLBoolean,
      description: "This Convex app has no public queries.",
      resolve: () => null,
    };
  }
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: queryFields }),
    ...(Object.keys(mutationFields).length > 0
      ? { mutation: new GraphQLObjectType({ name: "Mutation", fields: mutationFields }) }
      : {}),
    ...(Object.keys(subscriptionFields).length > 0
      ? {
          subscription: new GraphQLObjectType({ name: "Subscription", fields: subscriptionFields }),
        }
      : {}),
    types: [...types.tableTypes.values()],
    directives: [...specifiedDirectives, LiveDirective],
  });
  return { schema, bindings: { query: queryBindings, mutation: mutationBindings } };
}
