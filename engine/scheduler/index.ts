/** Scheduled functions and cron jobs: public surface of `engine/scheduler/`. */
export { systemClock, ManualClock, type Clock } from "./clock.ts";
export {
  Scheduler,
  DEFAULT_SCHEDULER_PARALLELISM,
  type SchedulerOptions,
  type SchedulerStats,
} from "./scheduler.ts";
export {
  JobScheduling,
  MAX_SCHEDULED_PER_TRANSACTION,
  MAX_SCHEDULED_ARGS_BYTES,
} from "./scheduling.ts";
export { parseCronsExport, nextRun, type CronSchedule, type CronSpec } from "./cron_spec.ts";
export {
  reconcileCrons,
  CRON_JOBS_TABLE,
  CRON_JOB_LOGS_TABLE,
  CRON_LOGS_KEPT,
} from "./cron_jobs.ts";
export {
  SCHEDULED_FUNCTIONS_TABLE,
  TRANSIENT_ACTION_ERROR,
  type JobState,
  type JobFields,
} from "./job_state.ts";
export type { RunContext } from "./run_context.ts";
