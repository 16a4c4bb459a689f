/**
 * Derives the default GraphQL schema from a Convex app's functions and `schema.ts`:
 * - each public query is a `Query` field and a `Subscription` field (a live query); each public
 *   mutation or action is a `Mutation` field; internal functions are never exposed;
 * - arguments come from the args validators; results from the returns validators, or, for a
 *   function that declares none, from the result type TypeScript infers (describe/), as
 *   validator JSON too: one mapping (type_builder.ts). Without either, a result is `JSON`;
 * - wherever a type falls back to `JSON` (or `String`), `fallbacks` says where and why
 *   (fallbacks.ts);
 * - a query taking `paginationOpts` is a Relay connection field (connection.ts);
 * - id fields gain relation fields (relations.ts).
 * Each root field carries its binding (`extensions.convex`, printed as `@convex(...)` by
 * print_contract.ts); resolvers are resolvers.ts's, shared with a served contract.
 */
import {
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  DirectiveLocation,
  specifiedDirectives,
  type GraphQLFieldConfig,
  type GraphQLOutputType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { AppDescription, AppSchemaInfo, FunctionInfo } from "./app_description.ts";
import { documentFieldsFirst } from "./document_order.ts";
import type { GatewayContext } from "../context.ts";
import { assignFieldNames, pascalCase } from "./names.ts";
import { InputTypes } from "./input_types.ts";
import { OutputTypes } from "./type_builder.ts";
import { TypeNames } from "./type_names.ts";
import { findRelationTargets, type RelationIndex } from "./relations.ts";
import {
  argsBesidePagination,
  connectionArgs,
  ConnectionTypes,
  pageElement,
} from "./connection.ts";
import { ROOT_BINDING } from "./directives.ts";
import { FallbackLog, Site, type SchemaFallback } from "./fallbacks.ts";
import { JsonScalar } from "./scalars.ts";
import { readsConvex, rootResolver } from "./resolvers.ts";

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
  /**
   * Where a type is less precise than the app's (`JSON`, or `String` for literals that cannot be
   * enum values) and why, in function path order. Inference's own fallbacks are not repeated.
   */
  readonly fallbacks: readonly SchemaFallback[];
}

function describeFunction(fn: FunctionInfo, live: boolean): string {
  const kind =
    fn.kind === "action"
      ? "action (not transactional: it may have side effects and is not retried)"
      : fn.kind;
  const text = live
    ? `Live Convex query \`${fn.path}\`: the current result, then a new one whenever the data it read changes.`
    : `Convex ${kind} \`${fn.path}\`.`;
  const inferred = [
    fn.argsSource === "inferred" && hasFields(fn.args)
      ? "Arguments typed by its handler's parameter (no args validator: Convex does not check them)."
      : "",
    fn.returnsSource === "inferred" ? "Result type inferred from its handler." : "",
  ].filter((sentence) => sentence !== "");
  return [text, ...inferred].join(" ");
}

function hasFields(args: ValidatorJSON): boolean {
  return args.type === "object" && Object.keys(args.value).length > 0;
}

type RootField = GraphQLFieldConfig<unknown, GatewayContext>;

interface Builders {
  readonly schema: AppSchemaInfo | null;
  readonly outputs: OutputTypes;
  readonly inputs: InputTypes;
  readonly connections: ConnectionTypes;
  readonly fallbacks: FallbackLog;
}

/** The output type of `validator` at `site`; JSON, and why, when there is no validator. */
function resultType(
  validator: ValidatorJSON | null,
  nameHint: string,
  site: Site,
  builders: Builders,
  missing: string,
): GraphQLOutputType {
  if (validator !== null) return builders.outputs.output(validator, nameHint, site);
  site.fallback("JSON", missing);
  return JsonScalar;
}

const NO_RETURNS = "no `returns` validator, and no result type inferred";

/** The root field of one function: plain, or a connection for a paginated query. */
function rootField(
  fn: FunctionInfo,
  fieldName: string,
  builders: Builders,
): Omit<RootField, "description" | "extensions"> {
  const hint = pascalCase(fieldName);
  const returns = new Site(builders.fallbacks, fn.path, "returns");
  const args = new Site(builders.fallbacks, fn.path, "args");
  const rest = fn.kind === "query" ? argsBesidePagination(fn.args) : null;
  const result =
    fn.returns !== null && fn.returnsSource === "inferred"
      ? documentFieldsFirst(fn.returns, builders.schema)
      : fn.returns;
  if (rest !== null) {
    const missing = result === null ? NO_RETURNS : "the result has no `page` array";
    const element = pageElement(result);
    const node = resultType(element, `${hint}Node`, returns.at(".page[]"), builders, missing);
    return {
      type: new GraphQLNonNull(builders.connections.connection(node, hint)),
      args: { ...builders.inputs.args(rest, hint, args), ...connectionArgs() },
      resolve: rootResolver(fn, true),
    };
  }
  const type = resultType(result, `${hint}Result`, returns, builders, NO_RETURNS);
  return {
    type,
    args: builders.inputs.args(fn.args, hint, args),
    resolve: rootResolver(fn, readsConvex(type)),
  };
}

/** Builds the derived schema. */
export function deriveSchema(app: AppDescription): DerivedSchema {
  const names = new TypeNames();
  const relations = findRelationTargets(app.functions, app.schema);
  const fallbacks = new FallbackLog();
  const builders: Builders = {
    schema: app.schema,
    outputs: new OutputTypes(app.schema, names, relations, fallbacks),
    inputs: new InputTypes(names),
    connections: new ConnectionTypes(names),
    fallbacks,
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
    const extensions = { [ROOT_BINDING]: { kind: fn.kind, path: fn.path } };
    if (fn.kind === "query") {
      queryFields[fieldName] = { ...field, extensions, description: describeFunction(fn, false) };
      subscriptionFields[fieldName] = {
        ...field,
        extensions,
        description: describeFunction(fn, true),
      };
      queryBindings.set(fieldName, { fieldName, fn });
    } else {
      mutationFields[fieldName] = {
        ...field,
        extensions,
        description: describeFunction(fn, false),
      };
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
    types: [
      ...builders.outputs.tableTypes.values(),
      ...[...builders.outputs.tableUnions.values()].flatMap((union) =>
        union === null ? [] : [union.type],
      ),
    ],
    directives: [...specifiedDirectives, LiveDirective],
  });
  return {
    schema,
    bindings: { query: queryBindings, mutation: mutationBindings },
    relationAmbiguities: relations.ambiguities,
    // Complete only now: object types build their fields when the schema collects them.
    fallbacks: fallbacks.list(),
  };
}
