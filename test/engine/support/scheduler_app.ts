/**
 * The scheduler fixture app (`test/fixtures/scheduler_app`, written as Convex's docs write apps)
 * and typed references to its functions, for the scheduler and cron tests.
 */
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../utils/backend.ts";
import { api } from "../../fixtures/scheduler_app/convex/_generated/api.js";

/** The scheduler fixture app (the folder holding its `convex/`). */
export const SCHEDULER_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "scheduler_app");

/** 2030-01-01T02:50:00Z: where the injected clocks start (ten minutes before a daily 03:00 cron). */
export const START_MS = Date.UTC(2030, 0, 1, 2, 50);

export type JobState =
  | { kind: "pending" }
  | { kind: "inProgress" }
  | { kind: "success" }
  | { kind: "failed"; error: string }
  | { kind: "canceled" };

/** A `_scheduled_functions` document as apps read it. */
export interface Job {
  _id: string;
  _creationTime: number;
  name: string;
  args: unknown[];
  scheduledTime: number;
  completedTime?: number;
  state: JobState;
}

export const app = {
  place: api.orders.place,
  placeThenFail: api.orders.placeThenFail,
  remindAt: api.orders.remindAt,
  cancelReminder: api.orders.cancelReminder,
  scheduleByName: api.orders.scheduleByName,
  scheduleFailure: api.orders.scheduleFailure,
  reminders: api.orders.reminders,
  events: api.orders.events,
  orders: api.orders.list,
  serve: api.orders.serve,
  jobs: api.jobs.list,
  job: api.jobs.get,
  scheduleCancelOwn: api.orders.scheduleCancelOwn,
  scheduleQuoteThenFollowUp: api.supplier.scheduleQuoteThenFollowUp,
  scheduleQuote: api.supplier.scheduleQuote,
};

/** A copy of the fixture app in `dir` (for tests that edit `crons.ts`). */
export function copySchedulerApp(dir: string): string {
  fs.cpSync(path.join(SCHEDULER_APP_DIR, "convex"), path.join(dir, "convex"), { recursive: true });
  return dir;
}
