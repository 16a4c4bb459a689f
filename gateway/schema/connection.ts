/**
 * Relay connections for paginated queries: a query whose args hold Convex's `paginationOpts`
 * becomes a field taking `first: Int!` and `after: String` (plus its other arguments) and
 * returning `<Node>Connection { edges { cursor node } pageInfo { ... } }`, the node type from
 * the page's element type.
 *
 * Cursors are Convex's own, opaque: Convex has one per page boundary, not one per document, so
 * the last edge's `cursor` is the page's `endCursor` (`continueCursor`) and the others are null
 * (a live page split in parts has one more at the end of each part, see page_split.ts);
 * `after: endCursor` loads the next page (what Apollo's `relayStylePagination()` does).
 *
 * As a subscription, a page stays live as `usePaginatedQuery`'s pages do: its Convex query
 * stays subscribed with the same arguments, and Convex's query journal keeps the page ending
 * where it first ended, so inserts and deletes grow or shrink the page and the next page (loaded
 * `after` its end cursor) neither misses nor repeats a document. A page that grows past twice
 * its `first` is split as `usePaginatedQuery` splits it (page_split.ts).
 */
import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLOutputType,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import { ERROR_CODES } from "../errors.ts";
import { asPageResult } from "./page_split.ts";
import { JsonScalar } from "./scalars.ts";
import { stripNull, type ObjectValidator } from "./table_documents.ts";
import type { TypeNames } from "./type_names.ts";

/** The largest page a client may ask for with `first`. */
export const MAX_FIRST = 1_000;

/** The args validator without `paginationOpts`, when `args` holds Convex's pagination options. */
export function argsBesidePagination(args: ValidatorJSON): ObjectValidator | null {
  if (args.type !== "object") return null;
  const options = args.value["paginationOpts"]?.fieldType;
  if (options?.type !== "object" || options.value["numItems"] === undefined) return null;
  const { paginationOpts: _, ...rest } = args.value;
  return { type: "object", value: rest };
}

/** The element validator of a pagination result's `page`, or null when it is not one. */
export function pageElement(result: ValidatorJSON | null): ValidatorJSON | null {
  if (result === null) return null;
  const { inner } = stripNull(result);
  const page = inner.type === "object" ? inner.value["page"]?.fieldType : undefined;
  return page?.type === "array" ? page.value : null;
}

/** `first` and `after`, for a connection field. */
export function connectionArgs(): GraphQLFieldConfigArgumentMap {
  return {
    first: {
      type: new GraphQLNonNull(GraphQLInt),
      description: `How many documents to load (1 to ${MAX_FIRST}).`,
    },
    after: {
      type: GraphQLString,
      description: "Load the page after this cursor (a previous page's `pageInfo.endCursor`).",
    },
  };
}

export class ConnectionTypes {
  private pageInfo: GraphQLObjectType | null = null;
  private readonly byNode = new Map<GraphQLOutputType, GraphQLObjectType>();

  constructor(private readonly names: TypeNames) {}

  private pageInfoType(): GraphQLObjectType {
    this.pageInfo ??= new GraphQLObjectType({
      name: this.names.unique("PageInfo"),
      description: "Relay page information; cursors are Convex's own (opaque).",
      fields: {
        hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean) },
        hasPreviousPage: { type: new GraphQLNonNull(GraphQLBoolean) },
        startCursor: { type: GraphQLString, description: "The `after` this page was loaded with." },
        endCursor: { type: GraphQLString, description: "Pass as `after` for the next page." },
      },
    });
    return this.pageInfo;
  }

  /**
   * The connection type of pages of `node`: named after the node type (`MessageConnection`), or
   * after `hint`, the function, when the node is the type named after it (`MessagesPageNode`:
   * `MessagesPageConnection`, not `MessagesPageNodeConnection`) or no object type.
   */
  connection(node: GraphQLOutputType, hint: string): GraphQLObjectType {
    const named = node instanceof GraphQLNonNull ? node.ofType : node;
    const existing = this.byNode.get(named);
    if (existing !== undefined) return existing;
    const base =
      named instanceof GraphQLObjectType && !named.name.startsWith(`${hint}Node`)
        ? named.name
        : hint;
    const edge = new GraphQLObjectType({
      name: this.names.unique(`${base}Edge`),
      fields: {
        cursor: {
          type: GraphQLString,
          description: "Convex's cursor after this node: set on the page's last edge only.",
        },
        node: { type: node === JsonScalar ? node : new GraphQLNonNull(named) },
      },
    });
    const connection = new GraphQLObjectType({
      name: this.names.unique(`${base}Connection`),
      fields: {
        edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(edge))) },
        pageInfo: { type: new GraphQLNonNull(this.pageInfoType()) },
      },
    });
    this.byNode.set(named, connection);
    return connection;
  }
}

/** Convex's `paginationOpts` for `first`/`after`; BAD_USER_INPUT when `first` is out of range. */
export function paginationOpts(
  first: unknown,
  after: unknown,
): { numItems: number; cursor: string | null } {
  if (typeof first !== "number" || first < 1 || first > MAX_FIRST) {
    throw new GraphQLError(`\`first\` must be between 1 and ${MAX_FIRST}, got ${String(first)}.`, {
      extensions: { code: ERROR_CODES.badUserInput },
    });
  }
  return { numItems: first, cursor: typeof after === "string" ? after : null };
}

/**
 * A Convex page as a Relay connection: `parts` are the page's parts in order (one unless a live
 * page was split, see page_split.ts); the last edge of each part carries its end cursor.
 */
export function toConnection(
  parts: readonly unknown[],
  after: string | null,
  path: string,
): unknown {
  const pages = parts.map(asPageResult);
  const last = pages.at(-1);
  if (last === undefined || last === null || pages.includes(null)) {
    throw new GraphQLError(`${path} did not return a page ({ page, isDone, continueCursor }).`);
  }
  const edges = pages.flatMap((result) =>
    (result?.page ?? []).map((node, index, page) => ({
      node,
      cursor: index === page.length - 1 ? (result?.continueCursor ?? null) : null,
    })),
  );
  return {
    edges,
    pageInfo: {
      hasNextPage: !last.isDone,
      hasPreviousPage: after !== null,
      startCursor: after,
      endCursor: last.continueCursor,
    },
  };
}
