/**
 * Serves a schema from an SDL file (e.g. one printed by `convex-graphql schema`), for a gateway
 * that has no access to the app's `convex/` folder. Each root field is bound to the Convex
 * function its `@convex(...)` directive names; root fields without one are refused at start.
 * The custom scalars get their Convex implementations.
 */
import {
  buildSchema,
  getDirectiveValues,
  GraphQLScalarType,
  isObjectType,
  type GraphQLSchema,
} from "graphql";
import type { FunctionKind, GatewayContext } from "../context.ts";
import { BigIntScalar, BytesScalar, JsonScalar } from "./scalars.ts";
import { ConvexDirective } from "./directives.ts";

function dropNulls(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(args).filter(([, value]) => value !== null && value !== undefined),
  );
}

/** Parses `sdl` and binds its root fields. @throws Error naming every unbound root field. */
export function schemaFromSdl(sdl: string): GraphQLSchema {
  const schema = buildSchema(sdl);
  for (const scalar of [BigIntScalar, BytesScalar, JsonScalar]) {
    const type = schema.getType(scalar.name);
    if (type instanceof GraphQLScalarType) {
      type.serialize = scalar.serialize;
      type.parseValue = scalar.parseValue;
      type.parseLiteral = scalar.parseLiteral;
    }
  }
  const unbound: string[] = [];
  for (const root of [
    schema.getQueryType(),
    schema.getMutationType(),
    schema.getSubscriptionType(),
  ]) {
    if (root === null || root === undefined || !isObjectType(root)) continue;
    for (const field of Object.values(root.getFields())) {
      const values = field.astNode ? getDirectiveValues(ConvexDirective, field.astNode) : undefined;
      const [kind, path] = (Object.entries(values ?? {})[0] ?? []) as [FunctionKind?, string?];
      if (kind === undefined || typeof path !== "string") {
        if (field.name !== "_empty") unbound.push(`${root.name}.${field.name}`);
        continue;
      }
      field.resolve = (_root: unknown, args: Record<string, unknown>, context: GatewayContext) =>
        context.convex.run(kind, path, dropNulls(args));
    }
  }
  if (unbound.length > 0) {
    throw new Error(
      `These root fields are not bound to a Convex function (e.g. @convex(query: "orders:list")): ${unbound.join(", ")}`,
    );
  }
  return schema;
}
