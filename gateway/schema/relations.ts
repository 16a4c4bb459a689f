/**
 * Relations: a document field holding `v.id("users")` (or `Id<"users">`, inferred) keeps its `ID`
 * field and gains `<field>Doc: User` (`<field>Docs: [User]!` for an array of ids, `[User]` when the
 * array is optional or nullable), resolved through the app's own public query that takes exactly
 * one id of that table and returns that table's document or null (e.g. `users:get({ id })`),
 * never through a privileged path: the app's access rules apply. When several queries qualify, the first in path order serves and the others are
 * reported as an ambiguity. A deleted target resolves to null.
 */
import {
  GraphQLList,
  GraphQLNonNull,
  type GraphQLFieldConfig,
  type GraphQLObjectType,
  type GraphQLUnionType,
} from "graphql";
import type { FunctionInfo, AppSchemaInfo } from "./app_description.ts";
import type { GatewayContext } from "../context.ts";
import { RELATION_BINDING, type RelationBinding } from "./directives.ts";
import { READS_CONVEX, relationResolver } from "./resolvers.ts";
import { wholeDocumentTable, stripNull } from "./table_documents.ts";

/** The query that fetches one document of a table by id. */
export interface RelationTarget {
  readonly table: string;
  readonly path: string;
  /** Its one argument's name. */
  readonly arg: string;
  readonly fn: FunctionInfo;
}

export interface RelationIndex {
  readonly targets: ReadonlyMap<string, RelationTarget>;
  /** Tables with several qualifying queries: every candidate path, the one used first. */
  readonly ambiguities: readonly { readonly table: string; readonly paths: readonly string[] }[];
}

/** The table `fn` fetches one document of by id, with its argument, or null. */
function fetchesOneById(fn: FunctionInfo, schema: AppSchemaInfo | null): RelationTarget | null {
  if (fn.kind !== "query" || fn.visibility !== "public" || fn.returns === null) return null;
  if (fn.args.type !== "object") return null;
  const entries = Object.entries(fn.args.value);
  const [only] = entries;
  if (entries.length !== 1 || only === undefined) return null;
  const [arg, spec] = only;
  if (spec.optional || spec.fieldType.type !== "id") return null;
  const table = wholeDocumentTable(stripNull(fn.returns).inner, schema);
  if (table !== spec.fieldType.tableName) return null;
  return { table, path: fn.path, arg, fn };
}

/** Finds, for each table, the public query relations resolve through. */
export function findRelationTargets(
  functions: readonly FunctionInfo[],
  schema: AppSchemaInfo | null,
): RelationIndex {
  const candidates = new Map<string, RelationTarget[]>();
  for (const fn of [...functions].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const target = fetchesOneById(fn, schema);
    if (target === null) continue;
    const list = candidates.get(target.table) ?? [];
    list.push(target);
    candidates.set(target.table, list);
  }
  const targets = new Map<string, RelationTarget>();
  const ambiguities: { table: string; paths: string[] }[] = [];
  for (const [table, list] of candidates) {
    const [first] = list;
    if (first !== undefined) targets.set(table, first);
    if (list.length > 1) ambiguities.push({ table, paths: list.map((target) => target.path) });
  }
  return { targets, ambiguities };
}

/** The relation field's name for the id field `key`: `userDoc`, `tagsDocs`. */
export function relationFieldName(key: string, list: boolean): string {
  return `${key}${list ? "Docs" : "Doc"}`;
}

/**
 * The field resolving the id (or ids) in `parent[key]` to documents through `target`: a list
 * when `list`, non-null when `alwaysList` (the ids field is never missing or null); each
 * document is nullable (deleted, or refused by the query).
 */
export function relationField(
  key: string,
  target: RelationTarget,
  type: GraphQLObjectType | GraphQLUnionType,
  list: boolean,
  alwaysList = false,
): GraphQLFieldConfig<Record<string, unknown>, GatewayContext> {
  const binding: RelationBinding = { query: target.path, id: key, arg: target.arg };
  const listType = new GraphQLList(type);
  return {
    type: list ? (alwaysList ? new GraphQLNonNull(listType) : listType) : type,
    description: `The \`${target.table}\` document${list ? "s" : ""} \`${key}\` refers to (null when deleted).`,
    extensions: { [READS_CONVEX]: true, [RELATION_BINDING]: binding },
    resolve: relationResolver(binding, target.fn),
  };
}
