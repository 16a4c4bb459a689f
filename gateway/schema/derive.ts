/**
 * Derives the default GraphQL schema from a Convex app's functions and `schema.ts`:
 * - each public query is a `Query` field and a `Subscription` field (a live query); each public
 *   mutation or action is a `Mutation` field; internal functions are never exposed;
 * - arguments come from the args validators; results from the returns validators, or, for a
 *   function that declares none, from the result type TypeScript infers (describe/), as
 *   validator JSON too: one mapping (type_builder.ts). Without either, a result is `JSON`;
 * - a query taking `paginationOpts` is a Relay connection field (connection.ts);
 * - id fields gain relation fields (relations.ts).
 * Field resolvers call Convex through `context.convex` (see gateway/context.ts).
 */
import {
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  DirectiveLocation,
  specifiedDirectives,
  Kind,
  getNamedType,
  isObjectType,
  isUnionType,
  type GraphQLFieldConfig,
  type GraphQLResolveInfo,
  type GraphQLOutputType,
  type GraphQLNamedType,
} from "graphql";
import type { AppDescription, FunctionInfo } from "./app_description.ts";
import type { GatewayContext } from "../context.ts";
import { assignFieldNames, pascalCase } from "./names.ts";
import { toConvexArgs } from "./convert.ts";
import { readPage } from "./page_split.ts";
import { InputTypes } from "./input_types.ts";
import { OutputTypes } from "./type_builder.ts";
import { TypeNames } from "./type_names.ts";
import { findRelationTargets, READS_CONVEX, type RelationIndex } from "./relations.ts";
import {
  argsBesidePagination,
  connectionArgs,
  ConnectionTypes,
  pageElement,
  paginationOpts,
  toConnection,
} from "./connection.ts";

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
  /** Tables with several queries that fetch one of their documents by id (see relations.ts). */
  readonly relationAmbiguities: RelationIndex["ambiguities"];
}

function describeFunction(fn: FunctionInfo, live: boolean): string {
  const kind =
    fn.kind === "action"
      ? "action (not transactional: it may have side effects and is not retried)"
      : fn.kind;
  const text = live
    ? `Live Convex query \`${fn.path}\`: the current result, then a new one whenever the data it read changes.`
    : `Convex ${kind} \`${fn.path}\`.`;
  return fn.returnsSource === "inferred" ? `${text} Result type inferred from its handler.` : text;
}

/** True when selecting `type` may reach a field that reads Convex (a relation). */
function readsConvex(type: GraphQLOutputType, seen = new Set<GraphQLNamedType>()): boolean {
  const named = getNamedType(type);
  if (seen.has(named)) return false;
  seen.add(named);
  if (isUnionType(named)) return named.getTypes().some((member) => readsConvex(member, seen));
  if (!isObjectType(named)) return false;
  return Object.values(named.getFields()).some(
    (field) => field.extensions[READS_CONVEX] === true || readsConvex(field.type, seen),
  );
}

type RootField = GraphQLFieldConfig<unknown, GatewayContext>;

interface Builders {
  readonly outputs: OutputTypes;
  readonly inputs: InputTypes;
  readonly connections: ConnectionTypes;
}

/** The root field of one function: plain, or a connection for a paginated query. */
function rootField(
  fn: FunctionInfo,
  fieldName: string,
  builders: Builders,
): Omit<RootField, "description"> {
  const hint = pascalCase(fieldName);
  const rest = fn.kind === "query" ? argsBesidePagination(fn.args) : null;
  if (rest !== null) {
    const node = builders.outputs.output(pageElement(fn.returns), `${hint}Node`);
    return {
      type: new GraphQLNonNull(builders.connections.connection(node, hint)),
      args: { ...builders.inputs.args(rest, hint), ...connectionArgs() },
      resolve: async (_root, graphqlArgs: Record<string, unknown>, context) => {
        const { first, after, ...others } = graphqlArgs;
        const options = paginationOpts(first, after);
        const parts = await readPage(context.convex, {
          path: fn.path,
          args: toConvexArgs(rest, others),
          numItems: options.numItems,
          cursor: options.cursor,
        });
        return toConnection(parts, options.cursor, fn.path);
      },
    };
  }
  const type = builders.outputs.output(fn.returns, `${hint}Result`);
  // A single root field is one Convex read (one snapshot) unless relations below it read more.
  const mayReadMore = readsConvex(type);
  return {
    type,
    args: builders.inputs.args(fn.args, hint),
    resolve: (_root, graphqlArgs: Record<string, unknown>, context, info: GraphQLResolveInfo) =>
      context.convex.run(fn.kind, fn.path, toConvexArgs(fn.args, graphqlArgs), {
        soleRootField:
          !mayReadMore &&
          info.operation.selectionSet.selections.length === 1 &&
          info.operation.selectionSet.selections[0]?.kind === Kind.FIELD,
      }),
  };
}

/** Builds the derived schema. */
export function deriveSchema(app: AppDescription): DerivedSchema {
  const names = new TypeNames();
  const relations = findRelationTargets(app.functions, app.schema);
  const builders: Builders = {
    outputs: new OutputTypes(app.schema, names, relations),
    inputs: new InputTypes(names),
    connections: new ConnectionTypes(names),
  };
  const publicFunctions = app.functions.filter((fn) => fn.visibility === "public");
  const fieldNames = assignFieldNames(publicFunctions.map((fn) => fn.path));
  const queryFields: Record<string, RootField> = {};
  const subscriptionFields: Record<string, RootField> = {};
  const mutationFields: Record<string, RootField> = {};
  const queryBindings = new Map<string, RootFieldBinding>();
  const mutationBindings = new Map<string, RootFieldBinding>();

  for (const fn of publicFunctions) {
    const fieldName = fieldNames.get(fn.path) ?? fn.path;
    const field = rootField(fn, fieldName, builders);
    if (fn.kind === "query") {
      queryFields[fieldName] = { ...field, description: describeFunction(fn, false) };
      subscriptionFields[fieldName] = { ...field, description: describeFunction(fn, true) };
      queryBindings.set(fieldName, { fieldName, fn });
    } else {
      mutationFields[fieldName] = { ...field, description: describeFunction(fn, false) };
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
    types: [...builders.outputs.tableTypes.values()],
    directives: [...specifiedDirectives, LiveDirective],
  });
  return {
    schema,
    bindings: { query: queryBindings, mutation: mutationBindings },
    relationAmbiguities: relations.ambiguities,
  };
}
