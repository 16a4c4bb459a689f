/**
 * The resolvers of bound fields, shared by the derived schema (derive.ts) and a served contract
 * (contract.ts): a root field calls its Convex function through `context.convex`; a relation
 * field calls its query through the operation's loader (batched per operation, and a dependency
 * of a live operation like any other read); a paginated query answers a Relay connection.
 */
import {
  Kind,
  getNamedType,
  isObjectType,
  isUnionType,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLOutputType,
} from "graphql";
import type { FunctionInfo } from "./app_description.ts";
import type { GatewayContext } from "../context.ts";
import type { RelationBinding } from "./directives.ts";
import { toConvexArgs } from "./convert.ts";
import { argsBesidePagination, paginationOpts, toConnection } from "./connection.ts";
import { loadQuery } from "./operation_loader.ts";
import { readPage } from "./page_split.ts";
import type { ObjectValidator } from "./table_documents.ts";

/** Marks fields that read Convex (an operation reaching one makes more than one read). */
export const READS_CONVEX = "convexRead";

type Resolver<Parent = unknown> = GraphQLFieldResolver<Parent, GatewayContext>;

/** True when selecting `type` may reach a field that reads Convex (a relation). */
export function readsConvex(type: GraphQLOutputType, seen = new Set<GraphQLNamedType>()): boolean {
  const named = getNamedType(type);
  if (seen.has(named)) return false;
  seen.add(named);
  if (isUnionType(named)) return named.getTypes().some((member) => readsConvex(member, seen));
  if (!isObjectType(named)) return false;
  return Object.values(named.getFields()).some(
    (field) => field.extensions[READS_CONVEX] === true || readsConvex(field.type, seen),
  );
}

/** A paginated query's field: `first`/`after` become `paginationOpts`; the page a connection. */
function connectionResolver(fn: FunctionInfo, rest: ObjectValidator): Resolver {
  return async (_root, graphqlArgs: Record<string, unknown>, context) => {
    const { first, after, ...others } = graphqlArgs;
    const options = paginationOpts(first, after);
    const parts = await readPage(context.convex, {
      path: fn.path,
      args: toConvexArgs(rest, others),
      numItems: options.numItems,
      cursor: options.cursor,
    });
    return toConnection(parts, options.cursor, fn.path);
  };
}

/**
 * The resolver of a root field bound to `fn`. `mayReadMore`: whether the field's selection can
 * reach a relation (else a lone root field is one Convex read: one snapshot, no coordination).
 */
export function rootResolver(fn: FunctionInfo, mayReadMore: boolean): Resolver {
  const rest = fn.kind === "query" ? argsBesidePagination(fn.args) : null;
  if (rest !== null) return connectionResolver(fn, rest);
  return (_root, graphqlArgs: Record<string, unknown>, context, info) =>
    context.convex.run(fn.kind, fn.path, toConvexArgs(fn.args, graphqlArgs), {
      soleRootField:
        !mayReadMore &&
        info.operation.selectionSet.selections.length === 1 &&
        info.operation.selectionSet.selections[0]?.kind === Kind.FIELD,
    });
}

/**
 * The resolver of a relation field bound to `fn` through `binding`: the parent's
 * `binding.id` (an id, a list of ids, or `_id`) passed as `binding.arg`, the field's own GraphQL
 * arguments as the query's other arguments. A missing id resolves to null.
 */
export function relationResolver(
  binding: RelationBinding,
  fn: FunctionInfo,
): Resolver<Record<string, unknown>> {
  const rest = argsBesidePagination(fn.args);
  const others = (graphqlArgs: Record<string, unknown>): Record<string, unknown> => {
    const { first: _first, after: _after, ...plain } = graphqlArgs;
    return toConvexArgs(rest ?? fn.args, plain);
  };
  const load = async (context: GatewayContext, id: unknown, args: Record<string, unknown>) => {
    if (typeof id !== "string") return null;
    if (rest === null) return loadQuery(context, fn.path, { ...others(args), [binding.arg]: id });
    const options = paginationOpts(args["first"], args["after"]);
    const convexArgs = { ...others(args), [binding.arg]: id, paginationOpts: options };
    return toConnection([await loadQuery(context, fn.path, convexArgs)], options.cursor, fn.path);
  };
  return (parent, args: Record<string, unknown>, context) => {
    const value = parent[binding.id];
    if (Array.isArray(value)) return value.map((id) => load(context, id, args));
    return load(context, value, args);
  };
}
