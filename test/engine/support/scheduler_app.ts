/**
 * The scheduler fixture app (`test/fixtures/scheduler_app`, written as Convex's docs write apps)
 * and typed references to its functions, for the scheduler and cron tests.
 */
import fs from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { REPO_ROOT } from "../../utils/backend.ts";

/** The scheduler fixture app (the folder holding its `convex/`). */
export const SCHEDULER_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "scheduler_app");

/** 2030-01-01T02:50:00Z: where the injected clocks start (ten minutes before a daily 03:00 cron). */
export const START_MS = Date.UTC(2030, 0, 1, 2, 50);

type Empty = Record<string, never>;

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
  place: makeFunctionReference<
    "mutation",
    { dish: string; remindInMs?: number },
    { orderId: string; jobId: string }
  >("orders:place"),
  placeThenFail: makeFunctionReference<"mutation", { dish: string }, null>("orders:placeThenFail"),
  remindAt: makeFunctionReference<"mutation", { orderId: string; at: number }, string>(
    "orders:remindAt",
  ),
  cancelReminder: makeFunctionReference<"mutation", { jobId: string }, null>(
    "orders:cancelReminder",
  ),
  scheduleByName: makeFunctionReference<"mutation", { name: string }, string>(
    "orders:scheduleByName",
  ),
  scheduleFailure: makeFunctionReference<"mutation", Empty, string>("orders:scheduleFailure"),
  reminders: makeFunctionReference<"query", Empty, { orderId: string; note: string }[]>(
    "orders:reminders",
  ),
  events: makeFunctionReference<"query", Empty, { kind: string }[]>("orders:events"),
  orders: makeFunctionReference<"query", Empty, { _id: string; dish: string; status: string }[]>(
    "orders:list",
  ),
  serve: makeFunctionReference<"mutation", { orderId: string }, null>("orders:serve"),
  jobs: makeFunctionReference<"query", Empty, Job[]>("jobs:list"),
  job: makeFunctionReference<"query", { id: string }, Job | null>("jobs:get"),
  scheduleCancelOwn: makeFunctionReference<"mutation", Empty, string>("orders:scheduleCancelOwn"),
  scheduleQuoteThenFollowUp: makeFunctionReference<"mutation", { url: string }, string>(
    "supplier:scheduleQuoteThenFollowUp",
  ),
  scheduleQuote: makeFunctionReference<
    "action",
    { url: string; item: string; cancel: boolean; delayMs: number },
    string
  >("supplier:scheduleQuote"),
};

/** A copy of the fixture app in `dir` (for tests that edit `crons.ts`). */
export function copySchedulerApp(dir: string): string {
  fs.cpSync(path.join(SCHEDULER_APP_DIR, "convex"), path.join(dir, "convex"), { recursive: true });
  return dir;
}
