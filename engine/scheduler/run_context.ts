/**
 * What running scheduled jobs and cron runs needs from the engine, and the few helpers both
 * use: reading every document of a system table, and resolving a job's target at run time.
 */
import type { Executor } from "../runtime/executor.ts";
import type { FunctionRegistry, RegisteredFunction } from "../runtime/registry.ts";
import type { StoredDocument } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import type { SystemTransactionDeps } from "./system_transaction.ts";

export interface RunContext extends SystemTransactionDeps {
  readonly executor: Executor;
  readonly registry: () => FunctionRegistry;
  /** Where failures of scheduled functions are reported. */
  readonly log: (line: string) => void;
}

/** How long a run that conflicted on every attempt waits before trying again. // ms */
export const CONFLICT_RETRY_MS = 100;

/** Every document of `table` at the transaction's snapshot (its whole range joins the read set). */
export function allDocuments(tx: Transaction, table: string): StoredDocument[] {
  const index = tx.store.index(`${table}.by_creation_time`);
  if (index === undefined) return [];
  const scan = tx.scan(index, { start: "", end: null }, "asc");
  const documents: StoredDocument[] = [];
  try {
    for (let document = scan.next(); document !== null; document = scan.next()) {
      documents.push(document);
    }
  } finally {
    tx.finishScan(scan);
  }
  return documents;
}

/**
 * The function a job or cron names, when it can be scheduled (a mutation or an action), or the
 * reason it cannot run.
 */
export function schedulableTarget(
  registry: FunctionRegistry,
  name: string,
): RegisteredFunction | { readonly error: string } {
  const fn = registry.lookup(name);
  if (fn === undefined) {
    return {
      error: `Could not find function for '${name}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?`,
    };
  }
  if (fn.kind === "query") {
    return {
      error: `Unsupported function type. ${name} is a query. Only mutation and action can be scheduled.`,
    };
  }
  return fn;
}
