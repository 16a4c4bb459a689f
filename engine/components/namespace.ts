/**
 * Table namespaces: each component instance has its own tables, as in Convex. Storage keeps one
 * flat set of tables, so a component's table `t` is stored as `<component path>/t` (a `/` never
 * appears in a table name a function can write, so no app table can collide with one). The app's
 * tables (component path `""`) keep their names. System tables (`_storage`,
 * `_scheduled_functions`, ...) are shared by every namespace.
 *
 * Function code never sees stored names: table names in syscall arguments are mapped on the way
 * in (`namespaceSyscallArgs`), and `v.id(table)` validators of a component's schema and functions
 * are mapped once when the component loads (`namespaceValidator`).
 */
import type { ValidatorJSON } from "convex/values";

/** The app's own namespace. */
export const ROOT_COMPONENT = "";

/** The stored name of `table` as the component at `componentPath` names it. */
export function storedTableName(componentPath: string, table: string): string {
  if (componentPath === ROOT_COMPONENT || table.startsWith("_")) return table;
  return `${componentPath}/${table}`;
}

/** The component path a stored table belongs to (`""` for the app's and system tables). */
export function componentOfTable(storedName: string): string {
  const slash = storedName.lastIndexOf("/");
  return slash === -1 ? ROOT_COMPONENT : storedName.slice(0, slash);
}

/** The name the owning component uses for a stored table. */
export function localTableName(storedName: string): string {
  return storedName.slice(storedName.lastIndexOf("/") + 1);
}

/**
 * True when code of `componentPath` may reach documents of `storedName` by id: its own tables
 * and the shared system tables, never another namespace's.
 */
export function tableVisibleFrom(componentPath: string, storedName: string): boolean {
  return storedName.startsWith("_") || componentOfTable(storedName) === componentPath;
}

/** `table.index` as the component names it -> the stored index name. */
export function storedIndexName(componentPath: string, indexName: string): string {
  return storedTableName(componentPath, indexName);
}

/** Maps every `v.id(table)` inside a validator to the component's stored table names. */
export function namespaceValidator(json: ValidatorJSON, componentPath: string): ValidatorJSON {
  if (componentPath === ROOT_COMPONENT) return json;
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (typeof value !== "object" || value === null) return value;
    const record = value as Record<string, unknown>;
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(record)) result[key] = visit(child);
    if (record["type"] === "id" && typeof record["tableName"] === "string") {
      result["tableName"] = storedTableName(componentPath, record["tableName"]);
    }
    return result;
  };
  return visit(json) as ValidatorJSON;
}

type Args = Record<string, unknown>;

/** Syscalls whose `table` argument names a table (optional for the id-based ones). */
const TABLE_ARGUMENT_OPS = new Set([
  "1.0/insert",
  "1.0/get",
  "1.0/shallowMerge",
  "1.0/replace",
  "1.0/remove",
  "1.0/db/normalizeId",
  "1.0/count",
]);

/** Syscalls whose `query` argument is a serialised query (`{source, operators}`). */
const QUERY_ARGUMENT_OPS = new Set(["1.0/queryStream", "1.0/queryPage"]);

function namespaceQuery(query: unknown, componentPath: string): unknown {
  if (typeof query !== "object" || query === null) return query;
  const source = (query as { source?: unknown }).source;
  if (typeof source !== "object" || source === null) return query;
  const mapped: Record<string, unknown> = { ...(source as Record<string, unknown>) };
  if (typeof mapped["tableName"] === "string") {
    mapped["tableName"] = storedTableName(componentPath, mapped["tableName"]);
  }
  if (typeof mapped["indexName"] === "string") {
    mapped["indexName"] = storedIndexName(componentPath, mapped["indexName"]);
  }
  return { ...(query as Record<string, unknown>), source: mapped };
}

/**
 * A syscall's arguments with the component's table names mapped to stored names (unchanged for
 * the app). A name starting with `_` is left alone, so writes to it are refused as system tables.
 */
export function namespaceSyscallArgs(op: string, args: Args, componentPath: string): Args {
  if (componentPath === ROOT_COMPONENT) return args;
  if (TABLE_ARGUMENT_OPS.has(op) && typeof args["table"] === "string") {
    return { ...args, table: storedTableName(componentPath, args["table"]) };
  }
  if (QUERY_ARGUMENT_OPS.has(op)) {
    return { ...args, query: namespaceQuery(args["query"], componentPath) };
  }
  return args;
}
