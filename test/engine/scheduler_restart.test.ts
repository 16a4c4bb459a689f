/**
 * The scheduler's guarantees across a restart (same data file), with injected clocks: the backend
 * stops with one mutation job done, one pending for later, and one scheduled action and one cron
 * action in progress (both wait on an external service that never answers). The new backend starts
 * two hours later: both actions are recorded failed ("Transient error while executing action") and
 * never rerun (at most once), the overdue mutation runs promptly and once, the finished one does
 * not run again (exactly once), and the cron's missed hourly runs are skipped. The second story
 * kills a backend process with SIGKILL while a scheduled action runs, with the same outcomes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect, it } from "vitest";
import { ManualClock } from "../../engine/index.ts";
import { startTestBackend, tempDir } from "../utils/backend.ts";
import { startChildBackend } from "./support/child_backend.ts";
import { httpClient } from "../sync/support/clients.ts";
import { app, SCHEDULER_APP_DIR, START_MS, type Job } from "./support/scheduler_app.ts";
import { eventually, step, STEP_MS } from "../utils/waits.ts";
import type { Id } from "../fixtures/scheduler_app/convex/_generated/dataModel.js";

/** An external service that records requests and answers none until disposed. */
async function startSilentService(): Promise<
  { url: string; requests: string[] } & AsyncDisposable
> {
  const requests: string[] = [];
  const server = http.createServer((req) => void requests.push(req.url ?? "/"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

it("keeps mutations exactly once and actions at most once across a restart", async () => {
  await using folder = tempDir();
  await using service = await step(startSilentService(), "the silent service to start");
  const dataFile = path.join(folder.path, "data.sqlite3");
  const first = await step(
    startTestBackend({
      dir: SCHEDULER_APP_DIR,
      dataFile,
      clock: new ManualClock(START_MS),
      env: { SUPPLIER_URL: service.url }, // the hourly "supplier quote" cron calls it too
      // The actions never finish: the graceful shutdown gives up waiting for them after this.
      shutdownTimeoutMs: 300,
    }),
    "the first backend to start",
  );
  const before = httpClient(first.url);
  const done = await step(before.mutation(app.place, { dish: "ramen", remindInMs: 0 }), "ramen");
  const later = await step(
    before.mutation(app.place, { dish: "soba", remindInMs: 3_600_000 }),
    "soba",
  );
  const quote = await step(
    before.action(app.scheduleQuote, {
      url: service.url,
      item: "wasabi",
      cancel: false,
      delayMs: 0,
    }),
    "the quote request to be scheduled",
  );
  const state = async (
    client: typeof before,
    id: Id<"_scheduled_functions">,
  ): Promise<Job["state"] | undefined> =>
    (await step(client.query(app.job, { id }), "a job"))?.state;
  await eventually(() => service.requests.length === 2, "the actions to call the service");
  // The ramen reminder was due at once: wait (bounded) until it has run.
  await eventually(
    async () => (await state(before, done.jobId))?.kind === "success",
    "the ramen reminder to run",
  );
  expect(await state(before, later.jobId)).toEqual({ kind: "pending" });
  expect(await state(before, quote)).toEqual({ kind: "inProgress" });
  await step(first.close(), "the first backend to stop, the action still running");

  const second = await step(
    startTestBackend({
      dir: SCHEDULER_APP_DIR,
      dataFile,
      clock: new ManualClock(START_MS + 2 * 3_600_000),
    }),
    "the second backend to start",
  );
  try {
    await step(second.engine.scheduler.idle(), "the overdue jobs to run");
    const after = httpClient(second.url);
    expect(await state(after, quote)).toEqual({
      kind: "failed",
      error: "Transient error while executing action",
    });
    expect(await state(after, later.jobId)).toEqual({ kind: "success" });
    expect(await state(after, done.jobId)).toEqual({ kind: "success" });
    const reminders = await step(after.query(app.reminders, {}), "reminders");
    expect(reminders.filter((r) => r.orderId === done.orderId)).toHaveLength(1);
    expect(reminders.filter((r) => r.orderId === later.orderId)).toHaveLength(1);
    expect([...service.requests].sort()).toEqual(["/price?item=wasabi", "/price?item=yuzu"]);
    // The cron's action run is logged failed, the two hourly runs missed meanwhile are skipped,
    // and the next run is the first one after now.
    const documents = [...second.engine.store.latestDocuments()];
    const logs = documents
      .filter((d) => d.table === "_cron_job_logs" && d.value["name"] === "supplier quote")
      .sort((a, b) => (a.value["_creationTime"] as number) - (b.value["_creationTime"] as number))
      .map((d) => d.value["status"]);
    expect(logs).toEqual([
      { type: "err", error: "Transient error while executing action" },
      { type: "canceled", numCanceled: 2 },
    ]);
    const cron = documents.find(
      (d) => d.table === "_cron_jobs" && d.value["name"] === "supplier quote",
    );
    expect(cron?.value).toMatchObject({ state: "pending", nextTs: START_MS + 3 * 3_600_000 });
  } finally {
    await step(second.close(), "the second backend to stop");
  }
});

it("keeps the same guarantees after kill -9 (a backend process killed mid-action)", async () => {
  await using folder = tempDir();
  await using service = await step(startSilentService(), "the silent service to start");
  const dataFile = path.join(folder.path, "data.sqlite3");
  const child = await step(
    startChildBackend({ dir: SCHEDULER_APP_DIR, dataFile }),
    "the backend process to start",
  );
  const before = httpClient(child.url);
  // A fresh child process's first calls compile and warm its whole path; with the rest of the
  // suite running beside it on 2 cores they have taken more than STEP_MS (CI, once).
  const CHILD_STEP_MS = 3 * STEP_MS;
  const state = async (
    client: typeof before,
    id: Id<"_scheduled_functions">,
  ): Promise<Job["state"] | undefined> =>
    (await step(client.query(app.job, { id }), "a job", CHILD_STEP_MS))?.state;
  const done = await step(
    before.mutation(app.place, { dish: "ramen", remindInMs: 0 }),
    "ramen",
    CHILD_STEP_MS,
  );
  const later = await step(
    before.mutation(app.place, { dish: "soba", remindInMs: 3_600_000 }),
    "soba",
    CHILD_STEP_MS,
  );
  const quote = await step(
    before.action(app.scheduleQuote, { url: service.url, item: "nori", cancel: false, delayMs: 0 }),
    "the quote request to be scheduled",
    CHILD_STEP_MS,
  );
  await eventually(
    () => service.requests.includes("/price?item=nori"),
    "the action to call the service",
  );
  await eventually(
    async () => (await state(before, done.jobId))?.kind === "success",
    "the ramen reminder to run",
  );
  expect(await state(before, quote)).toEqual({ kind: "inProgress" });
  await step(child.kill9(), "kill -9");

  await using second = await step(
    startTestBackend({ dir: SCHEDULER_APP_DIR, dataFile }),
    "the backend to start again on the same data file",
  );
  await step(second.engine.scheduler.idle(), "the scheduler to settle");
  const after = httpClient(second.url);
  expect(await state(after, quote)).toEqual({
    kind: "failed",
    error: "Transient error while executing action",
  });
  expect(await state(after, done.jobId)).toEqual({ kind: "success" });
  expect(await state(after, later.jobId)).toEqual({ kind: "pending" });
  const reminders = await step(after.query(app.reminders, {}), "reminders");
  expect(reminders.filter((r) => r.orderId === done.orderId)).toHaveLength(1);
  expect(service.requests.filter((url) => url === "/price?item=nori")).toHaveLength(1);
}, 90_000);
