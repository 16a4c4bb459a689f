/**
 * The global `Convex` object: the syscall table the unmodified `convex/server` package calls.
 * Each call is routed to the execution it came from (AsyncLocalStorage), so many executions
 * can be in flight at once. Arguments and results are JSON text, as in Convex's runtime.
 */
import { convexToJson, jsonToConvex, type Value } from "convex/values";
import { FunctionFailure, SystemError, TimeoutError, errorMessageOf } from "../errors.ts";
import {
  OVERLOADED_TEXT,
  functionTimeoutText,
  occText,
  wrongTableReaderText,
} from "../convex_messages.ts";
import type { StoredDocument } from "../storage/types.ts";
import { decodeDocumentFields, type Transaction } from "../transactions/transaction.ts";
import { currentExecution, type Execution } from "./execution.ts";
import { planQuery, QueryStream, queryPage, type SerializedQuery } from "./query_stream.ts";
import type { ConvexGlobal } from "./sandbox.ts";
import type { FileStorage } from "../files/file_storage.ts";
import { storageSyscalls } from "./storage_syscalls.ts";
import { transactionMetrics } from "./transaction_metrics.ts";
import type { JobScheduling } from "../scheduler/scheduling.ts";
import {
  isSearchQuery,
  SearchStream,
  searchPage,
  vectorSearch,
  type SearchIndexes,
} from "../search/index.ts";
import { namespaceSyscallArgs, tableVisibleFrom } from "../components/namespace.ts";
import {
  functionHandleOf,
  resolveFunctionAddress,
  type FunctionTarget,
} from "../components/references.ts";
import { qualifiedPath } from "../components/qualified_path.ts";
import { SYSTEM_FIELDS, userFieldsOf } from "../values/limits.ts";

/** Runs nested functions (`ctx.runQuery`/`ctx.runMutation` from a query or mutation). */
export type NestedRunner = (
  parent: Execution,
  udfType: "query" | "mutation",
  target: FunctionTarget,
  args: Record<string, unknown>,
) => Promise<Value>;

/** Runs `ctx.runQuery` / `ctx.runMutation` / `ctx.runAction` from an action. */
export type ActionCallRunner = (
  parent: Execution,
  kind: "query" | "mutation" | "action",
  target: FunctionTarget,
  args: unknown,
) => Promise<Value>;

/** What the syscall table calls back into. */
export interface SyscallDeps {
  readonly runNested: NestedRunner;
  readonly runFromAction: ActionCallRunner;
  readonly nextStreamId: () => number;
  /** File storage (`ctx.storage`). */
  readonly files: FileStorage;
  /** `ctx.scheduler` (`runAfter`, `runAt`, `cancel`) from mutations and actions. */
  readonly scheduler: JobScheduling;
  /** Search and vector indexes (`ctx.vectorSearch`). */
  readonly search: SearchIndexes;
}

type Args = Record<string, unknown>;

function execution(op: string): Execution {
  const current = currentExecution();
  if (current === undefined) {
    throw new Error(
      `${op} was called outside of a Convex function (at module load time?). Database and auth calls are only allowed inside a query, mutation or action.`,
    );
  }
  if (current.ended === true) {
    throw new FunctionFailure(
      `${op} was called after ${current.path} had returned (a promise left without await?).`,
    );
  }
  if (current.deadlineMs < Date.now()) {
    current.timedOut ??= new TimeoutError(functionTimeoutText(current.timeLimitMs));
    throw current.timedOut;
  }
  return current;
}

function transaction(op: string): Transaction {
  const tx = execution(op).tx;
  if (tx === null) {
    throw new Error(`${op} is not available in actions: use ctx.runQuery / ctx.runMutation.`);
  }
  return tx;
}

function documentJson(document: StoredDocument | null): string {
  return document === null ? "null" : document.json;
}

/** Resolves an id argument (and the optional table argument of the newer `db.get("t", id)`). */
function resolveId(tx: Transaction, args: Args, op: string): { id: string; table: string } | null {
  const id = args["id"];
  if (typeof id !== "string")
    throw new FunctionFailure(`${op}: expected an id string, got ${JSON.stringify(id)}.`);
  const owner = tx.tableOfId(id);
  // A component reaches its own tables only (the app's ids are not ids of its tables).
  const table =
    owner !== null && tableVisibleFrom(currentExecution()?.componentPath ?? "", owner)
      ? owner
      : null;
  const requestedTable = args["table"];
  if (typeof requestedTable === "string" && table !== null && requestedTable !== table) {
    throw new FunctionFailure(
      `Invalid argument \`id\` for \`db.${op}\`: the id "${id}" belongs to table "${table}", not "${requestedTable}".`,
    );
  }
  if (table === null) return null;
  return { id, table };
}

function existing(
  tx: Transaction,
  args: Args,
  op: string,
): { id: string; table: string; current: StoredDocument } {
  const resolved = resolveId(tx, args, op);
  if (resolved === null) {
    throw new FunctionFailure(
      `Invalid argument \`id\` for \`db.${op}\`: "${String(args["id"])}" is not a valid document id.`,
    );
  }
  const current = tx.get(resolved.id, resolved.table);
  if (current === null) {
    const verb = op === "delete" ? "Delete" : op === "patch" ? "Update" : "Replace";
    throw new FunctionFailure(`${verb} on nonexistent document ID ${resolved.id}`);
  }
  return { ...resolved, current };
}

function checkUserFields(fields: Record<string, Value>, op: string): void {
  for (const key of Object.keys(fields)) {
    if (key.startsWith("_") && !SYSTEM_FIELDS.has(key)) {
      throw new FunctionFailure(
        `Failed to ${op}: field "${key}" starts with an underscore, which is reserved for system fields.`,
      );
    }
  }
}

function stripSystemFields(
  fields: Record<string, Value>,
  current: StoredDocument,
  op: string,
): Record<string, Value> {
  const result: Record<string, Value> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SYSTEM_FIELDS.has(key)) {
      const existingValue = current.value[key];
      if (value !== existingValue) {
        throw new FunctionFailure(
          `Failed to ${op} document ${current.id}: system field "${key}" cannot be changed (it is ${JSON.stringify(existingValue)}).`,
        );
      }
      continue;
    }
    result[key] = value;
  }
  return result;
}

type SyncHandler = (args: Args) => unknown;

/** Records `error` on the current execution (so it stands even if caught) and throws it. */
function raiseSystemError(error: SystemError): never {
  const current = currentExecution();
  if (current !== undefined) current.systemError = error;
  throw error;
}
type AsyncHandler = (args: Args) => Promise<string> | string;

/** `ctx.runQuery` / `runMutation` / `runAction` from an action. */
function actionCall(runFromAction: ActionCallRunner, kind: "query" | "mutation" | "action") {
  return async (args: Args): Promise<string> => {
    const exec = execution(`ctx.run${kind}`);
    if (exec.kind !== "action") {
      throw new FunctionFailure(`1.0/actions/${kind} can only be called from an action.`);
    }
    const target = resolveFunctionAddress(exec.componentPath ?? "", args);
    const result = await runFromAction(exec, kind, target, args["args"] ?? {});
    return JSON.stringify(convexToJson(result));
  };
}

/** `ctx.scheduler.runAfter` / `runAt` (`kind`: where the syscall is allowed). */
async function schedule(
  scheduler: JobScheduling,
  kind: "mutation" | "action",
  args: Args,
): Promise<string> {
  const exec = execution("ctx.scheduler");
  if (exec.kind !== kind)
    throw new FunctionFailure(`ctx.scheduler is not available in a ${exec.kind}.`);
  const target = resolveFunctionAddress(exec.componentPath ?? "", args);
  // A component's function by its qualified path; a parent's `components.<name>.<fn>`: public only.
  const name = qualifiedPath(target.componentPath, target.path);
  const id = await scheduler.schedule(exec, name, args, !target.allowInternal);
  return JSON.stringify(id);
}

/** `ctx.scheduler.cancel`. */
async function cancelJob(
  scheduler: JobScheduling,
  kind: "mutation" | "action",
  args: Args,
): Promise<string> {
  const exec = execution("ctx.scheduler.cancel");
  if (exec.kind !== kind)
    throw new FunctionFailure(`ctx.scheduler is not available in a ${exec.kind}.`);
  return JSON.stringify(await scheduler.cancel(exec, args));
}

/** Features of later parts of the engine: their syscalls fail with a message naming them. */
const NOT_YET: Readonly<Record<string, string>> = {
  "1.0/storageStore": "ctx.storage.store in mutations (file storage: use it in an action)",
  "1.0/storageGet": "ctx.storage.get in mutations (file storage: use it in an action)",
};

function notSupportedYet(op: string): FunctionFailure | null {
  const feature = NOT_YET[op];
  return feature === undefined
    ? null
    : new FunctionFailure(`${feature} is not supported by this backend yet.`);
}

/** The arguments as the storage layer names tables: a component's tables are its own. */
function componentArgs(op: string, args: Args): Args {
  return namespaceSyscallArgs(op, args, currentExecution()?.componentPath ?? "");
}

/** Builds the `Convex` global for one engine. */
export function createConvexGlobal(deps: SyscallDeps): ConvexGlobal {
  const { runNested, runFromAction, nextStreamId, scheduler } = deps;
  const storage = storageSyscalls(deps.files, execution);
  const syncOps: Record<string, SyncHandler> = {
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
    "1.0/getSnapshotTs": () =>
      convexToJson(BigInt.asIntN(64, transaction("getSnapshotTs").beginTs)),
    // System errors, raised as Convex's runtime raises them: they fail the execution even if
    // the function catches them.
    throwOcc: () =>
      raiseSystemError(new SystemError("OptimisticConcurrencyControlFailure", occText(null))),
    throwOverloaded: () => raiseSystemError(new SystemError("Busy", OVERLOADED_TEXT)),
  };

  const asyncOps: Record<string, AsyncHandler> = {
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
    "1.0/queryPage": (args) => {
      const exec = execution("queryPage");
      const tx = transaction("paginate");
      if (exec.paginated) {
        throw new FunctionFailure(
          "This query or mutation function ran multiple paginated queries. Convex only supports a single paginated query in each function.",
        );
      }
      exec.paginated = true;
      const query = args["query"] as SerializedQuery;
      const request = {
        cursor: (args["cursor"] as string | null | undefined) ?? null,
        // An explicit endCursor wins; else a rerun ends where the journal says the first run did.
        endCursor:
          (args["endCursor"] as string | null | undefined) ?? exec.journal?.endCursor ?? null,
        pageSize: args["pageSize"] as number,
        maximumRowsRead: (args["maximumRowsRead"] as number | null | undefined) ?? null,
      };
      const result = isSearchQuery(query)
        ? searchPage(tx, query, request)
        : queryPage(tx, planQuery(tx, query), request);
      exec.journalOut = JSON.stringify({ endCursor: result.continueCursor });
      return `{"page":[${result.page.map((d) => d.json).join(",")}],"isDone":${result.isDone},"continueCursor":${JSON.stringify(result.continueCursor)},"splitCursor":${JSON.stringify(result.splitCursor)},"pageStatus":${JSON.stringify(result.pageStatus)}}`;
    },
    "1.0/count": (args) => {
      const tx = transaction("count");
      return JSON.stringify(tx.store.count(String(args["table"])));
    },
    "1.0/insert": (args) => {
      const tx = transaction("db.insert");
      const table = args["table"];
      if (typeof table !== "string") throw new FunctionFailure("db.insert expects a table name.");
      if (table.startsWith("_"))
        throw new FunctionFailure(`System tables (prefixed with \`_\`) are read-only.`);
      const fields = decodeDocumentFields(args["value"]);
      checkUserFields(fields, "insert");
      if (Object.keys(fields).some((key) => SYSTEM_FIELDS.has(key))) {
        throw new FunctionFailure(
          "Failed to insert: the system fields _id and _creationTime are set by the database.",
        );
      }
      return JSON.stringify({ _id: tx.insert(table, fields) });
    },
    "1.0/shallowMerge": (args) => {
      const tx = transaction("db.patch");
      const { id, table, current } = existing(tx, args, "patch");
      const patch = args["value"] as Record<string, unknown>;
      const fields = userFieldsOf(current.value);
      for (const [key, json] of Object.entries(patch ?? {})) {
        const isRemoval =
          typeof json === "object" &&
          json !== null &&
          Object.keys(json).length === 1 &&
          "$undefined" in json;
        if (SYSTEM_FIELDS.has(key)) {
          stripSystemFields(
            { [key]: isRemoval ? (undefined as never) : jsonToConvex(json as never) },
            current,
            "patch",
          );
          continue;
        }
        if (isRemoval) delete fields[key];
        else fields[key] = jsonToConvex(json as never);
      }
      checkUserFields(fields, "patch");
      return tx.replace(id, table, current, fields).json;
    },
    "1.0/replace": (args) => {
      const tx = transaction("db.replace");
      const { id, table, current } = existing(tx, args, "replace");
      const fields = stripSystemFields(decodeDocumentFields(args["value"]), current, "replace");
      checkUserFields(fields, "replace");
      return tx.replace(id, table, current, fields).json;
    },
    "1.0/remove": (args) => {
      const tx = transaction("db.delete");
      const { id, table, current } = existing(tx, args, "delete");
      tx.delete(id, table, current);
      return current.json;
    },
    "1.0/getUserIdentity": () => {
      const exec = execution("getUserIdentity");
      if (exec.tx !== null) exec.tx.observedIdentity = true;
      return JSON.stringify(exec.identity);
    },
    "1.0/runUdf": async (args) => {
      const exec = execution("runUdf");
      const target = resolveFunctionAddress(exec.componentPath ?? "", args);
      // `useStaleSnapshot` (a mutation's `snapshotQuery`) reads inside the mutation's own
      // transaction here: never staler than asked, at the cost of a conflict Convex would skip.
      const udfType =
        args["udfType"] === "snapshotQuery" && exec.kind === "mutation" ? "query" : args["udfType"];
      if (udfType !== "query" && udfType !== "mutation") {
        throw new FunctionFailure(
          `ctx.run* from a ${exec.kind} cannot run a function of type ${String(udfType)}.`,
        );
      }
      if (exec.kind === "query" && udfType === "mutation") {
        throw new FunctionFailure("A query cannot run a mutation.");
      }
      const result = await runNested(
        exec,
        udfType,
        target,
        (args["args"] ?? {}) as Record<string, unknown>,
      );
      return JSON.stringify(convexToJson(result));
    },
    "1.0/schedule": (args) => schedule(scheduler, "mutation", args),
    "1.0/cancel_job": (args) => cancelJob(scheduler, "mutation", args),
    "1.0/actions/schedule": (args) => schedule(scheduler, "action", args),
    "1.0/actions/cancel_job": (args) => cancelJob(scheduler, "action", args),
    "1.0/actions/query": actionCall(runFromAction, "query"),
    "1.0/actions/mutation": actionCall(runFromAction, "mutation"),
    "1.0/actions/action": actionCall(runFromAction, "action"),
    "1.0/getFunctionMetadata": () => {
      const exec = execution("getFunctionMetadata");
      return JSON.stringify({ name: exec.path, componentPath: exec.componentPath ?? "" });
    },
    "1.0/createFunctionHandle": (args) => {
      const exec = execution("createFunctionHandle");
      return JSON.stringify(
        functionHandleOf(resolveFunctionAddress(exec.componentPath ?? "", args)),
      );
    },
    ...storage.async,
    "1.0/actions/vectorSearch": (args) => {
      const exec = execution("ctx.vectorSearch");
      if (exec.kind !== "action")
        throw new FunctionFailure("ctx.vectorSearch is only available in actions.");
      return vectorSearch(deps.search, args["query"] as never);
    },
    "1.0/getTransactionMetrics": () =>
      JSON.stringify(transactionMetrics(transaction("getTransactionMetrics"))),
  };

  return {
    syscall(op, jsonArgs) {
      const handler = syncOps[op];
      if (handler === undefined)
        throw new Error(`Unsupported syscall ${op} (not implemented by this backend).`);
      return JSON.stringify(handler(componentArgs(op, JSON.parse(jsonArgs) as Args)));
    },
    async asyncSyscall(op, jsonArgs) {
      const handler = asyncOps[op];
      if (handler === undefined) {
        const failure = notSupportedYet(op);
        if (failure !== null) throw { message: failure.message };
        throw new Error(`Unsupported syscall ${op} (not implemented by this backend).`);
      }
      try {
        return await handler(componentArgs(op, JSON.parse(jsonArgs) as Args));
      } catch (error) {
        // Rejections reach `performAsyncSyscall`, which rethrows with `.message` (and `.data` for ConvexErrors).
        if (
          typeof error === "object" &&
          error !== null &&
          "data" in error &&
          error.data !== undefined
        ) {
          throw { message: errorMessageOf(error), data: error.data };
        }
        throw { message: errorMessageOf(error) };
      }
    },
    jsSyscall(op, args) {
      const handler = storage.js[op];
      if (handler !== undefined) return handler(args);
      throw (
        notSupportedYet(op) ??
        new Error(`Unsupported syscall ${op} (not implemented by this backend).`)
      );
    },
  };
}
