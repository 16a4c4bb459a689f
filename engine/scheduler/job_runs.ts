/**
 * Runs one due job of `_scheduled_functions` (see job_state.ts for the state machine):
 * - a mutation runs in a transaction that first re-reads the job (still pending, or the run is
 *   dropped) and records `success` before committing: exactly once. A failure is recorded in a
 *   transaction of its own (the function's writes are discarded); a run that conflicted on every
 *   attempt is tried again later.
 * - an action is marked `inProgress` (committed) before it runs, then its outcome is recorded:
 *   at most once. A job canceled while its action ran keeps `canceled`.
 * Scheduled functions run without an identity, as in Convex (auth is not propagated).
 */
import { convexToJson } from "convex/values";
import { RunSkipped, type FunctionOutcome } from "../runtime/executor.ts";
import type { Transaction } from "../transactions/transaction.ts";
import {
  applyEvent,
  isTerminal,
  JOB_RETENTION_MS,
  jobOf,
  SCHEDULED_FUNCTIONS_TABLE,
  type JobEvent,
} from "./job_state.ts";
import { CONFLICT_RETRY_MS, schedulableTarget, type RunContext } from "./run_context.ts";
import { runSystemTransaction } from "./system_transaction.ts";

/** What became of a run: finished (whatever the outcome), or to be tried again at a time. */
export type RunResult = { readonly retryAtMs: number } | null;

/** Applies `event` to job `id` in `tx`; false when it does not apply (then nothing is written). */
export function transitionJob(
  tx: Transaction,
  id: string,
  event: JobEvent,
  nowMs: number,
): boolean {
  const current = tx.get(id, SCHEDULED_FUNCTIONS_TABLE);
  const job = current === null ? null : jobOf(current.value);
  if (current === null || job === null) return false;
  const next = applyEvent(job, event, nowMs);
  if (next === null) return false;
  tx.replace(id, SCHEDULED_FUNCTIONS_TABLE, current, next);
  return true;
}

/** Records `event` for job `id` in a transaction of its own; false when it did not apply. */
export function recordJobEvent(ctx: RunContext, id: string, event: JobEvent): Promise<boolean> {
  return runSystemTransaction(ctx, (tx) => transitionJob(tx, id, event, ctx.now()));
}

function failureEvent(outcome: Extract<FunctionOutcome, { status: "error" }>): JobEvent {
  return { type: "fail", error: outcome.cause ?? outcome.errorMessage };
}

/** Deletes job `id` if it finished at least JOB_RETENTION_MS ago (Convex's retention). */
function deleteExpiredJob(ctx: RunContext, id: string): Promise<void> {
  return runSystemTransaction(ctx, (tx) => {
    const current = tx.get(id, SCHEDULED_FUNCTIONS_TABLE);
    const job = current === null ? null : jobOf(current.value);
    if (current === null || job === null || !isTerminal(job.state)) return;
    if ((job.completedTime ?? 0) + JOB_RETENTION_MS <= ctx.now())
      tx.delete(id, SCHEDULED_FUNCTIONS_TABLE, current);
  });
}

/**
 * Runs job `id` if it is still pending, or deletes it once its retention is over. Never throws
 * for the function's own failures.
 */
export async function runJob(ctx: RunContext, id: string): Promise<RunResult> {
  const document = ctx.store.get(id, ctx.committer.publishedTs);
  const job = document === null ? null : jobOf(document.value);
  if (job !== null && isTerminal(job.state)) {
    await deleteExpiredJob(ctx, id);
    return null;
  }
  if (job === null || job.state.kind !== "pending") return null;
  const target = schedulableTarget(ctx.registry(), job.name);
  if ("error" in target) {
    ctx.log(`✖ Scheduled function ${job.name} failed: ${target.error}`);
    await recordJobEvent(ctx, id, { type: "fail", error: target.error });
    return null;
  }
  const args = convexToJson(job.args[0] ?? {});
  if (target.kind === "mutation") return runMutationJob(ctx, id, job.name, args);
  await runActionJob(ctx, id, job.name, args);
  return null;
}

async function runMutationJob(
  ctx: RunContext,
  id: string,
  path: string,
  args: unknown,
): Promise<RunResult> {
  let outcome: FunctionOutcome;
  try {
    outcome = await ctx.executor.run({
      path,
      kind: "mutation",
      args,
      identity: null,
      allowInternal: true,
      scheduledJobId: id,
      hooks: {
        begin: (tx) =>
          jobOf(tx.get(id, SCHEDULED_FUNCTIONS_TABLE)?.value ?? {})?.state.kind === "pending",
        complete: (tx) => void transitionJob(tx, id, { type: "succeed" }, ctx.now()),
      },
    });
  } catch (error) {
    if (error instanceof RunSkipped) return null; // canceled meanwhile
    throw error;
  }
  if (outcome.status === "success") return null;
  if (outcome.conflicted === true) return { retryAtMs: ctx.now() + CONFLICT_RETRY_MS };
  ctx.log(`✖ Scheduled function ${path} failed: ${outcome.cause ?? outcome.errorMessage}`);
  await recordJobEvent(ctx, id, failureEvent(outcome));
  return null;
}

async function runActionJob(
  ctx: RunContext,
  id: string,
  path: string,
  args: unknown,
): Promise<void> {
  if (!(await recordJobEvent(ctx, id, { type: "start" }))) return; // canceled meanwhile
  const outcome = await ctx.executor.run({
    path,
    kind: "action",
    args,
    identity: null,
    allowInternal: true,
    scheduledJobId: id,
  });
  if (outcome.status === "error") {
    ctx.log(`✖ Scheduled function ${path} failed: ${outcome.cause ?? outcome.errorMessage}`);
  }
  await recordJobEvent(
    ctx,
    id,
    outcome.status === "success" ? { type: "succeed" } : failureEvent(outcome),
  );
}
