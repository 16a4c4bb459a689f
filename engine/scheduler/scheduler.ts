/**
 * The scheduler loop: keeps every pending job and cron in a due-time queue (fed by the commits
 * that write `_scheduled_functions` and `_cron_jobs`, so a job scheduled anywhere wakes it),
 * starts due ones up to `parallelism` at a time, and sleeps on the injected clock until the next
 * one is due. Jobs start in due-time order; they run concurrently, so they may finish in any order.
 *
 *   stopped --start()--> running --close()--> closed
 *   (start: recover what a stopped engine left inProgress, queue what is pending, run what is
 *   overdue at once)
 */
import type { StoredDocument } from "../storage/types.ts";
import type { PublishedCommit } from "../transactions/committer.ts";
import type { Clock } from "./clock.ts";
import { CRON_JOBS_TABLE, cronOf, recoverCron, runCron } from "./cron_jobs.ts";
import { JobQueue } from "./job_queue.ts";
import { recordJobEvent, runJob, type RunResult } from "./job_runs.ts";
import {
  isTerminal,
  JOB_RETENTION_MS,
  jobOf,
  SCHEDULED_FUNCTIONS_TABLE,
  TRANSIENT_ACTION_ERROR,
} from "./job_state.ts";
import type { RunContext } from "./run_context.ts";

/** How long a run that failed in the engine itself (not in the function) waits to be retried. // ms */
export const SYSTEM_ERROR_RETRY_MS = 1_000;

/** Jobs and cron runs executing at once, by default. */
export const DEFAULT_SCHEDULER_PARALLELISM = 16;

export interface SchedulerOptions {
  readonly clock: Clock;
  /** Jobs and cron runs executing at once. @default DEFAULT_SCHEDULER_PARALLELISM (16) */
  readonly parallelism?: number;
}

type SchedulerState = "stopped" | "running" | "closed";

/**
 * When a job or cron document is due (a pending job or cron: its run; a finished job: its
 * deletion, once kept JOB_RETENTION_MS), or null when nothing is due for it.
 */
function dueTimeOf(document: StoredDocument | null): number | null {
  if (document?.table === SCHEDULED_FUNCTIONS_TABLE) {
    const job = jobOf(document.value);
    if (job === null) return null;
    if (isTerminal(job.state)) return (job.completedTime ?? 0) + JOB_RETENTION_MS;
    return job.state.kind === "pending" ? job.scheduledTime : null;
  }
  if (document?.table === CRON_JOBS_TABLE) {
    const cron = cronOf(document.value);
    return cron?.state === "pending" ? cron.nextTs : null;
  }
  return null;
}

/** True for a job or cron document left inProgress (by a stopped engine, when read at start). */
function isInProgress(document: StoredDocument): boolean {
  if (document.table === SCHEDULED_FUNCTIONS_TABLE)
    return jobOf(document.value)?.state.kind === "inProgress";
  return document.table === CRON_JOBS_TABLE && cronOf(document.value)?.state === "inProgress";
}

/** Counters for tests and benchmarks. */
export interface SchedulerStats {
  /** Jobs and cron runs started. */
  started: number;
  /** Runs put back in the queue after conflicting on every attempt. */
  retried: number;
}

export class Scheduler {
  readonly stats: SchedulerStats = { started: 0, retried: 0 };
  private state: SchedulerState = "stopped";
  private readonly queue = new JobQueue();
  /** Ids queued or running, and which table each belongs to. */
  private readonly tableOf = new Map<string, string>();
  private readonly running = new Set<string>();
  private wake: { readonly atMs: number; readonly cancel: () => void } | null = null;
  private pumpScheduled = false;
  private unsubscribe: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly parallelism: number;

  constructor(
    private readonly ctx: RunContext,
    private readonly options: SchedulerOptions,
  ) {
    this.parallelism = options.parallelism ?? DEFAULT_SCHEDULER_PARALLELISM;
  }

  /**
   * Recovers and starts: a job or cron left inProgress by a stopped engine is recorded failed
   * (never rerun), pending ones are queued and overdue ones start at once.
   */
  async start(): Promise<void> {
    if (this.state !== "stopped") return;
    this.state = "running";
    this.unsubscribe = this.ctx.committer.onPublish((commit) => this.onCommit(commit));
    const leftInProgress = [];
    for (const document of this.ctx.store.latestDocuments()) {
      const due = dueTimeOf(document);
      if (due !== null) this.enqueue(document.id, document.table, due);
      else if (isInProgress(document)) leftInProgress.push(document);
    }
    for (const document of leftInProgress) {
      if (document.table === CRON_JOBS_TABLE) await recoverCron(this.ctx, document);
      else
        await recordJobEvent(this.ctx, document.id, {
          type: "fail",
          error: TRANSIENT_ACTION_ERROR,
        });
    }
    this.pump();
  }

  /** Stops starting jobs. Runs in flight are not waited for (an action may run for minutes). */
  close(): void {
    this.state = "closed";
    this.unsubscribe?.();
    this.wake?.cancel();
    this.wake = null;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves once nothing is running and nothing queued is due (by the clock) any more. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Number of pending jobs and crons queued (not running). */
  get queued(): number {
    return this.queue.size;
  }

  private isIdle(): boolean {
    if (this.state !== "running") return true;
    const next = this.queue.nextDueMs();
    return this.running.size === 0 && (next === null || next > this.options.clock.now());
  }

  private enqueue(id: string, table: string, dueMs: number): void {
    this.tableOf.set(id, table);
    this.queue.set(id, dueMs);
  }

  /** Keeps the queue in step with every commit that writes jobs or crons. */
  private onCommit(commit: PublishedCommit): void {
    let touched = false;
    for (const write of commit.writes) {
      if (write.table !== SCHEDULED_FUNCTIONS_TABLE && write.table !== CRON_JOBS_TABLE) continue;
      const due = dueTimeOf(write.after);
      if (due !== null) this.enqueue(write.id, write.table, due);
      else this.queue.delete(write.id);
      touched = true;
    }
    if (touched) this.schedulePump();
  }

  /** Coalesces wake-ups: one pump per turn of the event loop. */
  private schedulePump(): void {
    if (this.pumpScheduled || this.state !== "running") return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts due runs while slots are free, then sleeps until the next one is due. */
  private pump(): void {
    if (this.state !== "running") return;
    const now = this.options.clock.now();
    while (this.running.size < this.parallelism) {
      const id = this.queue.popDue(now);
      if (id === null) break;
      if (this.running.has(id)) continue; // re-read from the store when its run ends
      this.startRun(id);
    }
    this.armWake();
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private armWake(): void {
    const next = this.queue.nextDueMs();
    if (next === null || this.running.size >= this.parallelism) return;
    if (this.wake !== null && this.wake.atMs <= next) return;
    this.wake?.cancel();
    const wake = {
      atMs: next,
      cancel: this.options.clock.wakeAt(next, () => {
        if (this.wake === wake) this.wake = null;
        this.pump();
      }),
    };
    this.wake = wake;
  }

  private startRun(id: string): void {
    const table = this.tableOf.get(id);
    this.running.add(id);
    this.stats.started++;
    const run: Promise<RunResult> =
      table === CRON_JOBS_TABLE ? runCron(this.ctx, id) : runJob(this.ctx, id);
    run
      .then((result) => {
        if (result !== null && this.state === "running") {
          this.stats.retried++;
          this.enqueue(id, table ?? SCHEDULED_FUNCTIONS_TABLE, result.retryAtMs);
        }
      })
      .catch((error: unknown) => {
        if (this.state !== "running") return; // the engine closed under it
        this.ctx.log(`✖ Scheduler: run of ${id} failed: ${String(error)}`);
        // Still pending (a mutation job or cron): retried later, not in a tight loop.
        this.enqueue(
          id,
          table ?? SCHEDULED_FUNCTIONS_TABLE,
          this.options.clock.now() + SYSTEM_ERROR_RETRY_MS,
        );
      })
      .finally(() => {
        this.running.delete(id);
        this.refresh(id);
        this.pump();
      });
  }

  /**
   * After a run: queues the document again if it is (still, or again) waiting to run, e.g. a cron
   * rescheduled by a reload while its previous run was in flight; forgets it otherwise.
   */
  private refresh(id: string): void {
    if (this.state !== "running" || this.queue.has(id)) return;
    const document = this.ctx.store.get(id, this.ctx.committer.publishedTs);
    const due = dueTimeOf(document);
    if (document !== null && due !== null) this.enqueue(id, document.table, due);
    else this.tableOf.delete(id);
  }
}
