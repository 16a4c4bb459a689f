/**
 * The served schema: the Convex app's schema, its resolvers untouched, stitched
 * (`@graphql-tools/stitch`) with each merged API's, whose fields delegate to it. Names must not
 * clash: two types, or two fields of one root type, of the same name are refused with an error
 * naming both sides and the prefix option. A prefix renames an API's types and root fields.
 */
import { isSpecifiedScalarType, type GraphQLSchema } from "graphql";
import { stitchSchemas } from "@graphql-tools/stitch";
import { getResolversFromSchema } from "@graphql-tools/utils";
import { RenameRootFields, RenameTypes } from "@graphql-tools/wrap";
import type { MergedApi } from "./merged_api.ts";

/** A name clash between the Convex app and a merged API (or two merged APIs). */
export class MergeConflictError extends Error {
  readonly code = "MERGE_CONFLICT";
}

const capitalized = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

/** `legacy` + `Dish` -> `LegacyDish`; root field `menu` -> `legacyMenu`. */
export function prefixedType(prefix: string, name: string): string {
  return `${capitalized(prefix)}${name}`;
}
export function prefixedField(prefix: string, name: string): string {
  return `${prefix.charAt(0).toLowerCase()}${prefix.slice(1)}${capitalized(name)}`;
}

/** The names an API adds to the served schema: its types and root fields, prefixed. */
interface Contribution {
  readonly source: string;
  readonly types: Set<string>;
  readonly rootFields: Map<"Query" | "Mutation" | "Subscription", Set<string>>;
}

const ROOTS = ["Query", "Mutation", "Subscription"] as const;

function contribution(source: string, schema: GraphQLSchema, prefix?: string): Contribution {
  const rename = (name: string) => (prefix === undefined ? name : prefixedType(prefix, name));
  const renameField = (name: string) => (prefix === undefined ? name : prefixedField(prefix, name));
  const roots = new Set(ROOTS.map((root) => rootOf(schema, root)?.name));
  const types = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || isSpecifiedScalarType(type) || roots.has(type.name)) continue;
    types.add(rename(type.name));
  }
  const rootFields = new Map(
    ROOTS.map((root) => [
      root,
      new Set(Object.keys(rootOf(schema, root)?.getFields() ?? {}).map(renameField)),
    ]),
  );
  return { source, types, rootFields };
}

function rootOf(schema: GraphQLSchema, root: (typeof ROOTS)[number]) {
  return root === "Query"
    ? schema.getQueryType()
    : root === "Mutation"
      ? schema.getMutationType()
      : schema.getSubscriptionType();
}

/** Throws MergeConflictError at the first name two contributions share. */
function checkClashes(contributions: readonly Contribution[]): void {
  for (let i = 0; i < contributions.length; i++) {
    for (let j = 0; j < i; j++) {
      const [later, earlier] = [contributions[i]!, contributions[j]!];
      const type = [...later.types].find((name) => earlier.types.has(name));
      const field = ROOTS.flatMap((root) =>
        [...later.rootFields.get(root)!]
          .filter((name) => earlier.rootFields.get(root)!.has(name))
          .map((name) => `${root}.${name}`),
      )[0];
      const clash =
        type !== undefined ? `type "${type}"` : field !== undefined ? `field "${field}"` : null;
      if (clash === null) continue;
      throw new MergeConflictError(
        `--merge ${later.source}: ${clash} is also defined by ${earlier.source}. Rename it in one ` +
          `of them, or give the merged API a prefix: --merge legacy=${later.source} (its types ` +
          `become LegacyName, its root fields legacyName).`,
      );
    }
  }
}

/** Root fields of `Subscription` that a merged API serves (they subscribe upstream, not live). */
export type MergedSubscriptionFields = ReadonlySet<string>;

/** Stitches `convex` with every merged API that has a schema; throws on a name clash. */
export function combine(
  convex: GraphQLSchema,
  apis: readonly MergedApi[],
): { schema: GraphQLSchema; mergedSubscriptions: MergedSubscriptionFields } {
  const known = apis.filter((api) => api.schema !== null);
  const contributions = [contribution("the Convex app", convex)];
  for (const api of known)
    contributions.push(contribution(api.options.url, api.schema!, api.options.prefix));
  checkClashes(contributions);
  const subschemas = known.map((api) => {
    const prefix = api.options.prefix;
    const rootNames = new Set(ROOTS.map((root) => rootOf(api.schema!, root)?.name));
    return {
      schema: api.schema!,
      executor: api.executor,
      transforms:
        prefix === undefined
          ? []
          : [
              new RenameTypes((name: string) =>
                rootNames.has(name) ? name : prefixedType(prefix, name),
              ),
              new RenameRootFields((_op: string, name: string) => prefixedField(prefix, name)),
            ],
    };
  });
  const schema = stitchSchemas({
    subschemas,
    typeDefs: convex,
    resolvers: getResolversFromSchema(convex),
  });
  const mergedSubscriptions = new Set(
    contributions.slice(1).flatMap((part) => [...part.rootFields.get("Subscription")!]),
  );
  return { schema, mergedSubscriptions };
}
