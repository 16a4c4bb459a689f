/**
 * The directives that bind a GraphQL contract to Convex functions (README "The GraphQL contract"):
 * - `@convex(query: "mod:fn")`, `@convex(mutation: ...)`, `@convex(action: ...)` on a root field:
 *   the function that resolves it (a `Subscription` field binds a query);
 * - `@convexRelation(query: "users:get", id: "user")` on an object type's field: resolved through
 *   that Convex query, passing the parent's `id` field (default `_id`: a reverse relation, e.g. a
 *   user's messages) as the query's argument `arg` (default: the query's one id argument).
 * Bindings travel on the schema's fields as `extensions`, which the contract printer writes out
 * as these directives and the contract loader reads back.
 */
import {
  DirectiveLocation,
  GraphQLDirective,
  GraphQLNonNull,
  GraphQLString,
  type GraphQLField,
} from "graphql";
import type { FunctionKind } from "../context.ts";

/** Where a root field's binding lives in its `extensions`. */
export const ROOT_BINDING = "convex";
/** Where a relation field's binding lives in its `extensions`. */
export const RELATION_BINDING = "convexRelation";

/** The Convex function behind a root field. */
export interface RootBinding {
  readonly kind: FunctionKind;
  readonly path: string;
}

/** The Convex query behind a relation field, and what it passes. */
export interface RelationBinding {
  readonly query: string;
  /** The parent's field holding the id (or ids) passed; `_id` for a reverse relation. */
  readonly id: string;
  /** The query's argument that receives it. */
  readonly arg: string;
}

export const ConvexDirective = new GraphQLDirective({
  name: "convex",
  description:
    "Binds a root field to the Convex function that resolves it: exactly one of `query`, `mutation` or `action`, the function's path (`orders:getActiveOrders`). A Subscription field binds a query.",
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: {
    query: { type: GraphQLString },
    mutation: { type: GraphQLString },
    action: { type: GraphQLString },
  },
});

export const ConvexRelationDirective = new GraphQLDirective({
  name: "convexRelation",
  description:
    "Resolves this field through the Convex query `query`, batched per operation and live in subscriptions. `id`: the parent's field holding the id (or list of ids) to pass (default `_id`, the parent itself: a reverse, one-to-many relation). `arg`: the query's argument receiving it (default: the query's one id argument).",
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: {
    query: { type: new GraphQLNonNull(GraphQLString) },
    id: { type: GraphQLString },
    arg: { type: GraphQLString },
  },
});

/** The directives a contract may apply (their definitions are printed with it). */
export const CONTRACT_DIRECTIVES = [ConvexDirective, ConvexRelationDirective] as const;

/** The root binding a field carries, if any. */
export function rootBindingOf(field: GraphQLField<unknown, unknown>): RootBinding | undefined {
  return field.extensions[ROOT_BINDING] as RootBinding | undefined;
}

/** The relation binding a field carries, if any. */
export function relationBindingOf(
  field: GraphQLField<unknown, unknown>,
): RelationBinding | undefined {
  return field.extensions[RELATION_BINDING] as RelationBinding | undefined;
}
