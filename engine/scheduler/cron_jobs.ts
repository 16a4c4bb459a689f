/**
 * Cron jobs in the database: `_cron_jobs` (one document per cron of `crons.ts`, with its next
 * run) and `_cron_job_logs` (each run's outcome, the newest CRON_LOGS_KEPT per cron). Neither is
 * visible to apps, as in Convex.
 *
 * A cron's run state:
 *
 *   pending(nextTs) --due, mutation: run + log + advance in ONE transaction--> pending(next)
 *   pending(nextTs) --due, action: committed first--> inProgress --log + advance--> pending(next)
 *   inProgress found when the engine starts --> logged "Transient error while executing action",
 *                                               advanced (never rerun)
 *
 * "Advance" moves `nextTs` to the first occurrence after now: runs missed meanwhile are skipped
 * and logged as `canceled{numCanceled}`, never replayed. One run per cron at a time.
 *
 * Registration: on every successful load of the functions, `crons.ts` is reconciled with
 * `_cron_jobs` by name: new crons are added, changed ones updated (the next run is recomputed
 * when the schedule changed), removed ones deleted with their logs. A component's crons (its own
 * `crons.ts`, as `@convex-dev/action-retrier`'s cleanup) are there too, their name and function
 * qualified with the component's path (`<path>|<name>`, `<path>|module.js:fn`): they run in the
 * component.
 */
import { convexToJson, jsonToConvex, type Value } from "convex/values";
import { RunSkipped, type FunctionOutcome } from "../runtime/executor.ts";
import type { ModuleProblem } from "../runtime/bundler.ts";
import type { DocumentValue, StoredDocument } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import { nextRun, type CronSchedule, type CronSpec } from "./cron_spec.ts";
import { TRANSIENT_ACTION_ERROR } from "./job_state.ts";
import {
  allDocuments,
  CONFLICT_RETRY_MS,
  schedulableTarget,
  type RunContext,
} from "./run_context.ts";
import { runSystemTransaction } from "./system_transaction.ts";
import { qualifiedPath } from "../components/qualified_path.ts";
import type { RunResult } from "./job_runs.ts";

export const CRON_JOBS_TABLE = "_cron_jobs";
export const CRON_JOB_LOGS_TABLE = "_cron_job_logs";
/** Run logs kept per cron (Convex keeps 5). */
export const CRON_LOGS_KEPT = 5;

/** A `_cron_jobs` document's fields. */
export interface CronJobFields {
  readonly name: string;
  /** `module.js:export`. */
  readonly udfPath: string;
  /** The arguments object. */
  readonly udfArgs: Value;
  readonly schedule: CronSchedule;
  readonly state: "pending" | "inProgress";
  /** The scheduled time of the last run, ms since the epoch; null before the first. */
  readonly prevTs: number | null;
  /** The scheduled time of the next run, ms since the epoch. */
  readonly nextTs: number;
}

/** The status of one logged run (Convex's `_cron_job_logs.status`). */
export type CronRunStatus =
  | { readonly type: "success"; readonly result: string | null }
  | { readonly type: "err"; readonly error: string }
  | { readonly type: "canceled"; readonly numCanceled: number };

/** Reads a `_cron_jobs` document; null when it is not one. */
export function cronOf(document: DocumentValue): CronJobFields | null {
  const { name, udfPath, state, nextTs } = document;
  if (typeof name !== "string" || typeof udfPath !== "string" || typeof nextTs !== "number")
    return null;
  if (state !== "pending" && state !== "inProgress") return null;
  return document as unknown as CronJobFields;
}

function withModuleExtension(path: string): string {
  const colon = path.lastIndexOf(":");
  const modulePath = colon === -1 ? path : path.slice(0, colon);
  const exportName = colon === -1 ? "default" : path.slice(colon + 1);
  return `${modulePath.endsWith(".js") ? modulePath : `${modulePath}.js`}:${exportName}`;
}

function sameSchedule(a: CronSchedule, b: CronSchedule): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A component instance's crons, by the name it gives them. */
export interface ComponentCrons {
  readonly path: string;
  readonly crons: ReadonlyMap<string, CronSpec>;
}

/**
 * The crons of the app and of its components, by name: a component's named and targeted by
 * qualified paths, so that each runs in its component and two components' names never meet.
 */
export function deploymentCrons(
  app: ReadonlyMap<string, CronSpec>,
  components: readonly ComponentCrons[],
): Map<string, CronSpec> {
  const all = new Map(app);
  for (const component of components) {
    for (const spec of component.crons.values()) {
      const name = qualifiedPath(component.path, spec.name);
      const functionPath = qualifiedPath(component.path, spec.functionPath);
      all.set(name, { ...spec, name, functionPath });
    }
  }
  return all;
}

/**
 * Makes `_cron_jobs` match `specs` (by name). A cron whose target is missing or a query is
 * reported and left out. Resolves with the problems found.
 */
export async function reconcileCrons(
  ctx: RunContext,
  specs: ReadonlyMap<string, CronSpec>,
): Promise<ModuleProblem[]> {
  const problems: ModuleProblem[] = [];
  const wanted = new Map<string, CronSpec>();
  for (const [name, spec] of specs) {
    const target = schedulableTarget(ctx.registry(), spec.functionPath);
    if ("error" in target)
      problems.push({ file: "convex/crons.ts", reason: `cron "${name}": ${target.error}` });
    else wanted.set(name, spec);
  }
  await runSystemTransaction(ctx, (tx) => applySpecs(tx, wanted, ctx.now()));
  return problems;
}

function applySpecs(tx: Transaction, wanted: ReadonlyMap<string, CronSpec>, nowMs: number): void {
  const existing = new Map<string, StoredDocument>();
  for (const document of allDocuments(tx, CRON_JOBS_TABLE)) {
    const cron = cronOf(document.value);
    if (cron !== null) existing.set(cron.name, document);
  }
  for (const [name, spec] of wanted) {
    const current = existing.get(name);
    const cron = current === undefined ? null : cronOf(current.value);
    const fields = {
      name,
      udfPath: withModuleExtension(spec.functionPath),
      udfArgs: jsonToConvex(spec.args as never),
      schedule: spec.schedule as unknown as Value,
    };
    if (current === undefined || cron === null) {
      const { nextMs } = nextRun(spec.schedule, null, nowMs);
      tx.insert(CRON_JOBS_TABLE, { ...fields, state: "pending", prevTs: null, nextTs: nextMs });
      continue;
    }
    const rescheduled = !sameSchedule(cron.schedule, spec.schedule);
    const unchanged =
      !rescheduled &&
      cron.udfPath === fields.udfPath &&
      JSON.stringify(convexToJson(cron.udfArgs)) === JSON.stringify(spec.args);
    if (unchanged) continue;
    const timing = rescheduled
      ? { prevTs: null, nextTs: nextRun(spec.schedule, null, nowMs).nextMs }
      : { prevTs: cron.prevTs, nextTs: cron.nextTs };
    tx.replace(current.id, CRON_JOBS_TABLE, current, { ...fields, state: cron.state, ...timing });
  }
  for (const [name, document] of existing) {
    if (wanted.has(name)) continue;
    tx.delete(document.id, CRON_JOBS_TABLE, document);
    for (const log of allDocuments(tx, CRON_JOB_LOGS_TABLE)) {
      if (log.value["name"] === name) tx.delete(log.id, CRON_JOB_LOGS_TABLE, log);
    }
  }
}

/** Inserts a run log and deletes the oldest beyond CRON_LOGS_KEPT for this cron. */
function writeLog(
  tx: Transaction,
  cron: CronJobFields,
  ts: number,
  status: CronRunStatus,
  logLines: readonly string[],
  executionTime: number,
): void {
  tx.insert(CRON_JOB_LOGS_TABLE, {
    name: cron.name,
    ts,
    udfPath: cron.udfPath,
    udfArgs: cron.udfArgs,
    status: { ...status },
    logLines: [...logLines],
    executionTime,
  });
  const logs = allDocuments(tx, CRON_JOB_LOGS_TABLE).filter(
    (log) => log.value["name"] === cron.name,
  );
  for (const log of logs.slice(0, Math.max(0, logs.length - CRON_LOGS_KEPT))) {
    tx.delete(log.id, CRON_JOB_LOGS_TABLE, log);
  }
}

/**
 * Records a finished run of cron `id` due at `dueMs` and moves it to its next run. False when the
 * cron changed meanwhile (removed, rescheduled or already advanced): nothing is written then.
 */
function finishRun(
  tx: Transaction,
  id: string,
  dueMs: number,
  status: CronRunStatus,
  logLines: readonly string[],
  startedMs: number,
  nowMs: number,
): boolean {
  const current = tx.get(id, CRON_JOBS_TABLE);
  const cron = current === null ? null : cronOf(current.value);
  if (current === null || cron === null || cron.nextTs !== dueMs) return false;
  const { nextMs, skipped } = nextRun(cron.schedule, dueMs, nowMs);
  writeLog(tx, cron, dueMs, status, logLines, (nowMs - startedMs) / 1000);
  if (skipped > 0) writeLog(tx, cron, dueMs, { type: "canceled", numCanceled: skipped }, [], 0);
  tx.replace(id, CRON_JOBS_TABLE, current, {
    ...current.value,
    state: "pending",
    prevTs: dueMs,
    nextTs: nextMs,
  });
  return true;
}

/** True when cron `id` is still pending with its run due at `dueMs`. */
function stillDue(tx: Transaction, id: string, dueMs: number): boolean {
  const cron = cronOf(tx.get(id, CRON_JOBS_TABLE)?.value ?? {});
  return cron !== null && cron.state === "pending" && cron.nextTs === dueMs;
}

function errorStatus(outcome: Extract<FunctionOutcome, { status: "error" }>): CronRunStatus {
  return { type: "err", error: outcome.cause ?? outcome.errorMessage };
}

/** Runs cron `id` if its run is due. Never throws for the function's own failures. */
export async function runCron(ctx: RunContext, id: string): Promise<RunResult> {
  const document = ctx.store.get(id, ctx.committer.publishedTs);
  const cron = document === null ? null : cronOf(document.value);
  if (cron === null || cron.state !== "pending") return null;
  const dueMs = cron.nextTs;
  const startedMs = ctx.now();
  const finish = (status: CronRunStatus, logLines: readonly string[] = []): Promise<boolean> =>
    runSystemTransaction(ctx, (tx) =>
      finishRun(tx, id, dueMs, status, logLines, startedMs, ctx.now()),
    );
  const target = schedulableTarget(ctx.registry(), cron.udfPath);
  if ("error" in target) {
    await finish({ type: "err", error: target.error });
    return null;
  }
  const args = convexToJson(cron.udfArgs);
  const request = { path: cron.udfPath, args, identity: null, allowInternal: true } as const;
  if (target.kind === "mutation") {
    let outcome: FunctionOutcome;
    try {
      outcome = await ctx.executor.run({
        ...request,
        kind: "mutation",
        hooks: {
          begin: (tx) => stillDue(tx, id, dueMs),
          complete: (tx, value, logLines) =>
            void finishRun(
              tx,
              id,
              dueMs,
              { type: "success", result: JSON.stringify(value) },
              logLines,
              startedMs,
              ctx.now(),
            ),
        },
      });
    } catch (error) {
      if (error instanceof RunSkipped) return null;
      throw error;
    }
    if (outcome.status === "success") return null;
    if (outcome.conflicted === true) return { retryAtMs: ctx.now() + CONFLICT_RETRY_MS };
    ctx.log(
      `✖ Cron job "${cron.name}" (${cron.udfPath}) failed: ${outcome.cause ?? outcome.errorMessage}`,
    );
    await finish(errorStatus(outcome), outcome.logLines);
    return null;
  }
  const started = await runSystemTransaction(ctx, (tx) => {
    const current = tx.get(id, CRON_JOBS_TABLE);
    if (current === null || !stillDue(tx, id, dueMs)) return false;
    tx.replace(id, CRON_JOBS_TABLE, current, {
      ...current.value,
      state: "inProgress",
    });
    return true;
  });
  if (!started) return null;
  const outcome = await ctx.executor.run({ ...request, kind: "action" });
  if (outcome.status === "error")
    ctx.log(
      `✖ Cron job "${cron.name}" (${cron.udfPath}) failed: ${outcome.cause ?? outcome.errorMessage}`,
    );
  await finish(
    outcome.status === "success"
      ? { type: "success", result: JSON.stringify(outcome.value) }
      : errorStatus(outcome),
    outcome.logLines,
  );
  return null;
}

/** At start: a cron left `inProgress` (the engine stopped mid-action) is logged failed and advanced. */
export async function recoverCron(ctx: RunContext, document: StoredDocument): Promise<void> {
  const cron = cronOf(document.value);
  if (cron === null || cron.state !== "inProgress") return;
  const nowMs = ctx.now();
  await runSystemTransaction(ctx, (tx) =>
    finishRun(
      tx,
      document.id,
      cron.nextTs,
      { type: "err", error: TRANSIENT_ACTION_ERROR },
      [],
      nowMs,
      nowMs,
    ),
  );
}
