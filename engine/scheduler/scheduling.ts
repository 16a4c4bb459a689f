/**
 * `ctx.scheduler.runAfter` / `runAt` / `cancel`: what the `1.0/schedule`, `1.0/cancel_job` and
 * `1.0/actions/*` syscalls do. From a mutation the job is a write of the mutation's own
 * transaction (it exists only if the mutation commits; a retried attempt starts from nothing).
 * From an action each call commits a transaction of its own at once.
 *
 * Checked when scheduling, with Convex's messages: the time, that the module and the export
 * exist, and the per-transaction limits. As in Convex, a scheduled action whose job was canceled
 * while it runs schedules jobs born canceled, and a scheduled mutation cannot cancel its own job. The target's kind and its argument validator are checked
 * when the job runs, as Convex does.
 */
import { jsonToConvex } from "convex/values";
import { FunctionFailure } from "../errors.ts";
import type { Execution } from "../runtime/execution.ts";
import { canonicalPath, type FunctionRegistry } from "../runtime/registry.ts";
import { splitQualifiedPath } from "../components/qualified_path.ts";
import type { Transaction } from "../transactions/transaction.ts";
import { applyEvent, jobOf, SCHEDULED_FUNCTIONS_TABLE } from "./job_state.ts";
import { runSystemTransaction, type SystemTransactionDeps } from "./system_transaction.ts";

/** Convex's limit on jobs scheduled by one mutation. */
export const MAX_SCHEDULED_PER_TRANSACTION = 1_000;
/** Convex's limit on the total size of scheduled arguments per mutation. @default 16 MiB // bytes */
export const MAX_SCHEDULED_ARGS_BYTES = 16 * 1024 * 1024;
/** How far from now a job may be scheduled (Convex: 5 × 366 days). // ms */
const MAX_SCHEDULE_DISTANCE_MS = 5 * 366 * 24 * 3600 * 1000;

export interface SchedulingDeps extends SystemTransactionDeps {
  /** The functions loaded now (a job's target must exist when it is scheduled). */
  readonly registry: () => FunctionRegistry;
}

interface TransactionUsage {
  count: number;
  bytes: number;
}

/** The scheduler syscalls' implementation (one per engine). */
export class JobScheduling {
  private readonly usage = new WeakMap<Transaction, TransactionUsage>();

  constructor(private readonly deps: SchedulingDeps) {}

  /**
   * Schedules `name` with the syscall's `args` (`ts` in seconds, `args` encoded); resolves with
   * the job's `_scheduled_functions` id. @throws FunctionFailure with Convex's message.
   */
  async schedule(
    exec: Execution,
    name: string,
    syscallArgs: Record<string, unknown>,
    publicOnly = false,
  ): Promise<string> {
    const scheduledTime = checkTime(syscallArgs["ts"], exec.nowMs);
    const jobName = this.resolveTarget(name, publicOnly);
    const encodedArgs = syscallArgs["args"] ?? {};
    const args = jsonToConvex(encodedArgs as never);
    if (typeof args !== "object" || args === null || Array.isArray(args)) {
      throw new FunctionFailure(
        `The arguments to a Convex function must be an object. Received: ${JSON.stringify(encodedArgs)}`,
      );
    }
    const bytes = JSON.stringify(encodedArgs).length;
    const insert = (tx: Transaction): string => {
      this.count(tx, bytes);
      const parentCanceled = exec.tx === null && isCanceled(tx, exec.scheduledJobId);
      return tx.insert(SCHEDULED_FUNCTIONS_TABLE, {
        name: jobName,
        args: [args],
        scheduledTime,
        state: { kind: parentCanceled ? "canceled" : "pending" },
        ...(parentCanceled ? { completedTime: this.deps.now() } : {}),
      });
    };
    if (exec.tx !== null) return insert(exec.tx);
    return runSystemTransaction(this.deps, insert);
  }

  /** Cancels a pending or running job; a finished or missing one is left alone (Convex's no-op). */
  async cancel(exec: Execution, syscallArgs: Record<string, unknown>): Promise<null> {
    const id = syscallArgs["id"];
    const cancel = (tx: Transaction): null => {
      if (typeof id !== "string" || tx.tableOfId(id) !== SCHEDULED_FUNCTIONS_TABLE) {
        throw new FunctionFailure(
          `Invalid scheduled function ID. The ID must be an ID on the '${SCHEDULED_FUNCTIONS_TABLE}' table.`,
        );
      }
      if (exec.kind === "mutation" && exec.scheduledJobId === id)
        throw new FunctionFailure("A mutation cannot cancel itself");
      const current = tx.get(id, SCHEDULED_FUNCTIONS_TABLE);
      const job = current === null ? null : jobOf(current.value);
      if (current === null || job === null) return null;
      const next = applyEvent(
        job,
        { type: "cancel" },
        exec.tx === null ? this.deps.now() : exec.nowMs,
      );
      if (next !== null) tx.replace(id, SCHEDULED_FUNCTIONS_TABLE, current, next);
      return null;
    };
    if (exec.tx !== null) return cancel(exec.tx);
    return runSystemTransaction(this.deps, cancel);
  }

  /**
   * `module.js:export` of an existing function (a component's qualified, `<path>|module.js:export`;
   * `publicOnly`: a parent's reference to its child). @throws FunctionFailure (Convex's texts).
   */
  private resolveTarget(name: string, publicOnly: boolean): string {
    const path = canonicalPath(name);
    const colon = path.lastIndexOf(":");
    const modulePath = path.slice(0, colon);
    const exportName = path.slice(colon + 1);
    const registry = this.deps.registry();
    const fn = registry.lookup(path);
    if (fn === undefined || (publicOnly && fn.visibility === "internal")) {
      // A component's module is named as the component names it; its internal function is
      // no export its parent can see.
      const moduleExists =
        fn !== undefined || registry.list().some((f) => f.path.startsWith(`${modulePath}:`));
      const shown = splitQualifiedPath(modulePath).path;
      throw new FunctionFailure(
        moduleExists
          ? `Attempted to schedule function, but no exported function ${exportName} found in the file: ${shown}.js. Did you forget to export it?`
          : `Attempted to schedule function at nonexistent path: ${shown}.js`,
      );
    }
    return `${modulePath}.js:${exportName}`;
  }

  private count(tx: Transaction, bytes: number): void {
    const usage = this.usage.get(tx) ?? { count: 0, bytes: 0 };
    usage.count++;
    usage.bytes += bytes;
    this.usage.set(tx, usage);
    if (usage.count > MAX_SCHEDULED_PER_TRANSACTION) {
      throw new FunctionFailure(
        `Too many functions scheduled by this mutation (limit: ${MAX_SCHEDULED_PER_TRANSACTION})`,
      );
    }
    if (usage.bytes > MAX_SCHEDULED_ARGS_BYTES) {
      throw new FunctionFailure(
        `Too large total size of the arguments of scheduled functions from this mutation (limit: ${MAX_SCHEDULED_ARGS_BYTES} bytes)`,
      );
    }
  }
}

/** True when `jobId` names a job that is canceled (the scheduled action running it was canceled). */
function isCanceled(tx: Transaction, jobId: string | undefined): boolean {
  if (jobId === undefined) return false;
  const job = jobOf(tx.get(jobId, SCHEDULED_FUNCTIONS_TABLE)?.value ?? {});
  return job?.state.kind === "canceled";
}

/** The syscall's `ts` (seconds) as ms since the epoch. @throws FunctionFailure as Convex. */
function checkTime(ts: unknown, nowMs: number): number {
  if (typeof ts !== "number" || Number.isNaN(ts) || ts === Infinity) {
    throw new FunctionFailure(
      "Invalid arguments for `ts`: cannot convert float seconds to Duration: value is either too big or NaN",
    );
  }
  if (ts < 0) {
    throw new FunctionFailure(
      "Invalid arguments for `ts`: cannot convert float seconds to Duration: value is negative",
    );
  }
  const ms = ts * 1000;
  if (ms > nowMs + MAX_SCHEDULE_DISTANCE_MS)
    throw new FunctionFailure(`UnixTimestamp(${ts}s) is more than 5 years in the future`);
  if (ms < nowMs - MAX_SCHEDULE_DISTANCE_MS)
    throw new FunctionFailure(`UnixTimestamp(${ts}s) is more than 5 years in the past`);
  return ms;
}
