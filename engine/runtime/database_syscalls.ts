/**
 * The database reads `convex/server` makes for `ctx.db` (`server/impl/database_impl.ts`,
 * `query_impl.ts`): `get`, query streams, `paginate` and `count`, at the transaction's snapshot
 * overlaid with its own writes. Results are the stored documents' JSON text, built once per
 * revision. The writes are in database_write_syscalls.ts.
 */
import { FunctionFailure } from "../errors.ts";
import { cursorParseText, wrongTableReaderText } from "../convex_messages.ts";
import type { StoredDocument } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import { tableVisibleFrom } from "../components/namespace.ts";
import { isSearchQuery, SearchStream, searchPage } from "../search/index.ts";
import { planQuery, QueryStream, type SerializedQuery } from "./query_stream.ts";
import { queryPage } from "./query_page.ts";
import { queryFingerprint, type CursorKeys } from "./page_cursor.ts";
import {
  callerComponent,
  execution,
  transaction,
  type AsyncHandler,
  type SyncHandler,
  type SyscallArgs,
} from "./syscall_guards.ts";

function documentJson(document: StoredDocument | null): string {
  return document === null ? "null" : document.json;
}

/** Resolves an id argument (and the optional table argument of the newer `db.get("t", id)`). */
export function resolveId(
  tx: Transaction,
  args: SyscallArgs,
  op: string,
): { id: string; table: string } | null {
  const id = args["id"];
  if (typeof id !== "string")
    throw new FunctionFailure(`${op}: expected an id string, got ${JSON.stringify(id)}.`);
  const owner = tx.tableOfId(id);
  // A component reaches its own tables only (the app's ids are not ids of its tables).
  const table = owner !== null && tableVisibleFrom(callerComponent(), owner) ? owner : null;
  const requestedTable = args["table"];
  if (typeof requestedTable === "string" && table !== null && requestedTable !== table) {
    throw new FunctionFailure(
      `Invalid argument \`id\` for \`db.${op}\`: the id "${id}" belongs to table "${table}", not "${requestedTable}".`,
    );
  }
  if (table === null) return null;
  return { id, table };
}

/** The synchronous query-stream syscalls (`db.query(...)` builds a stream, then iterates it). */
export function databaseSyncSyscalls(nextStreamId: () => number): Record<string, SyncHandler> {
  return {
    "1.0/queryStream": (args) => {
      const exec = execution("queryStream");
      const tx = transaction("db.query");
      const query = args["query"] as SerializedQuery;
      const stream = isSearchQuery(query)
        ? new SearchStream(tx, query)
        : new QueryStream(tx, planQuery(tx, query));
      const queryId = nextStreamId();
      exec.streams.set(queryId, stream);
      return { queryId };
    },
    "1.0/queryCleanup": (args) => {
      const exec = execution("queryCleanup");
      const id = args["queryId"] as number;
      const stream = exec.streams.get(id);
      if (stream === undefined) return false;
      stream.close();
      exec.streams.delete(id);
      return true;
    },
    "1.0/db/normalizeId": (args) => {
      const tx = transaction("db.normalizeId");
      const table = args["table"];
      const idString = args["idString"];
      if (typeof table !== "string" || typeof idString !== "string") {
        throw new FunctionFailure("db.normalizeId expects a table name and an id string.");
      }
      return { id: tx.tableOfId(idString) === table ? idString : null };
    },
  };
}

/**
 * A cursor `paginate` was handed: a string, or null when there is none. App code can hand it
 * anything (past its validators); what is not a string is a cursor that does not parse.
 */
function cursorArgument(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  throw new FunctionFailure(cursorParseText(String(JSON.stringify(value))));
}

/** `paginate`: one page of a query (Convex allows one per function). */
function queryPageSyscall(args: SyscallArgs, keys: CursorKeys): string {
  const exec = execution("queryPage");
  const tx = transaction("paginate");
  if (exec.paginated) {
    throw new FunctionFailure(
      "This query or mutation function ran multiple paginated queries. Convex only supports a single paginated query in each function.",
    );
  }
  exec.paginated = true;
  const query = args["query"] as SerializedQuery;
  // A search walks no index fields (Convex fingerprints it with none either).
  const plan = isSearchQuery(query) ? null : planQuery(tx, query);
  const request = {
    keys,
    fingerprint: queryFingerprint(query, plan?.index.fields ?? []),
    cursor: cursorArgument(args["cursor"]),
    // An explicit endCursor wins; else a rerun ends where the journal says the first run did.
    endCursor: cursorArgument(args["endCursor"]) ?? exec.journal?.endCursor ?? null,
    pageSize: args["pageSize"] as number,
    maximumRowsRead: (args["maximumRowsRead"] as number | null | undefined) ?? null,
    maximumBytesRead: (args["maximumBytesRead"] as number | null | undefined) ?? null,
  };
  const result = plan === null ? searchPage(tx, query, request) : queryPage(tx, plan, request);
  exec.journalOut = JSON.stringify({ endCursor: result.continueCursor });
  return `{"page":[${result.page.map((d) => d.json).join(",")}],"isDone":${result.isDone},"continueCursor":${JSON.stringify(result.continueCursor)},"splitCursor":${JSON.stringify(result.splitCursor)},"pageStatus":${JSON.stringify(result.pageStatus)}}`;
}

/**
 * The asynchronous reads: `db.get`, the next document of a stream, `paginate` (its cursors
 * sealed with `cursorKeys`), `count`.
 */
export function databaseReadSyscalls(cursorKeys: CursorKeys): Record<string, AsyncHandler> {
  return {
    "1.0/get": (args) => {
      const tx = transaction("db.get");
      const resolved = resolveId(tx, args, "get");
      if (resolved === null) return "null";
      const systemTable = resolved.table.startsWith("_");
      if (systemTable !== (args["isSystem"] === true)) {
        throw new FunctionFailure(wrongTableReaderText(systemTable, "get"));
      }
      return documentJson(tx.get(resolved.id, resolved.table));
    },
    "1.0/queryStreamNext": (args) => {
      const exec = execution("queryStreamNext");
      const stream = exec.streams.get(args["queryId"] as number);
      if (stream === undefined)
        throw new FunctionFailure("Query stream is closed or does not exist.");
      const document = stream.next();
      if (document === null) {
        exec.streams.delete(args["queryId"] as number);
        return '{"value":null,"done":true}';
      }
      return `{"value":${document.json},"done":false}`;
    },
    "1.0/queryPage": (args) => queryPageSyscall(args, cursorKeys),
    "1.0/count": (args) => {
      const tx = transaction("count");
      return JSON.stringify(tx.store.count(String(args["table"])));
    },
  };
}
