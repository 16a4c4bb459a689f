/**
 * Scheduled functions through the official clients, against the scheduler fixture app, with an
 * injected clock (no test sleeps: time moves when the test says so). The stories: a mutation
 * schedules a reminder, which waits in `_scheduled_functions` (Convex's fields, watched live by a
 * query) until the clock reaches it, then runs once; a mutation that throws, or that conflicts
 * and retries, schedules nothing extra; `runAt`, `cancel` (pending: never runs; finished: a no-op),
 * `ctx.db.system.get`; unknown paths and misspelled exports fail with Convex's messages; a failing
 * job is `failed` with its error and its writes discarded; actions schedule and cancel too, and
 * a scheduled action goes pending -> inProgress -> success; finished jobs are deleted after 7 days.
 */
import nodeHttp from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../engine/index.ts";
import { startSupplierStub, type SupplierStub } from "../utils/supplier_stub.ts";
import { httpClient, record, serve, syncClient, type SyncClient } from "../sync/support/clients.ts";
import type { TestBackend } from "../utils/backend.ts";
import { failure } from "./support/fixture.ts";
import { app, SCHEDULER_APP_DIR, START_MS, type Job } from "./support/scheduler_app.ts";
import { eventually, step } from "../utils/waits.ts";

let clock: ManualClock;
let backend: TestBackend;
let client: SyncClient;
let supplier: SupplierStub;

beforeAll(async () => {
  clock = new ManualClock(START_MS);
  supplier = await step(startSupplierStub(), "the supplier stub to start");
  backend = await serve({ dir: SCHEDULER_APP_DIR, clock });
  client = syncClient(backend.url);
});

afterAll(async () => {
  await step(client.close(), "the client to close");
  await step(Promise.resolve(backend[Symbol.asyncDispose]()), "the backend to close");
  await step(Promise.resolve(supplier[Symbol.asyncDispose]()), "the supplier stub to close");
});

/** An HTTP service that holds every request until `release()`. */
async function startGate(): Promise<
  { url: string; readonly waiting: number; release(): void } & AsyncDisposable
> {
  const held: nodeHttp.ServerResponse[] = [];
  const server = nodeHttp.createServer((_req, res) => void held.push(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get waiting() {
      return held.length;
    },
    release() {
      for (const res of held.splice(0)) res.end("ok");
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits until the scheduler has nothing due and nothing running. */
async function settled(): Promise<void> {
  await step(backend.engine.scheduler.idle(), "the scheduler to settle");
}

function jobById(jobs: readonly Job[], id: string): Job | undefined {
  return jobs.find((job) => job._id === id);
}

describe("a mutation scheduling a reminder", () => {
  it("stores a pending job with Convex's fields, watched live, that runs once when due", async () => {
    using jobs = record(client, app.jobs, {});
    const placedAt = clock.now();
    const { orderId, jobId } = await step(
      client.mutation(app.place, { dish: "ramen" }),
      "the order to be placed",
    );
    // The job appears in the live query as pending, with the fields Convex documents.
    const pending = await jobs.value(
      (list) => jobById(list, jobId) !== undefined,
      "the job to appear in the live query",
    );
    expect(jobById(pending, jobId)).toEqual({
      _id: jobId,
      _creationTime: expect.any(Number) as number,
      name: "orders.js:remind",
      args: [{ orderId, note: "ramen is waiting" }],
      scheduledTime: placedAt + 60_000,
      state: { kind: "pending" },
    });
    // 59 seconds later it has not run.
    clock.advance(59_000);
    await settled();
    const http = httpClient(backend.url);
    expect(await step(http.query(app.reminders, {}), "reminders")).toEqual([]);
    expect((await step(http.query(app.job, { id: jobId }), "the job"))?.state).toEqual({
      kind: "pending",
    });
    // At 60 seconds it runs, once; the live query sees it succeed.
    clock.advance(1_000);
    const done = await jobs.value(
      (list) => jobById(list, jobId)?.state.kind === "success",
      "the job to succeed in the live query",
    );
    expect(jobById(done, jobId)?.completedTime).toBe(placedAt + 60_000);
    await settled();
    const reminders = await step(http.query(app.reminders, {}), "reminders");
    expect(reminders.filter((r) => r.orderId === orderId)).toEqual([
      expect.objectContaining({ orderId, note: "ramen is waiting" }),
    ]);
    // Much later, still once.
    clock.advance(3_600_000);
    await settled();
    const later = await step(http.query(app.reminders, {}), "reminders");
    expect(later.filter((r) => r.orderId === orderId)).toHaveLength(1);
  });

  it("schedules nothing when the mutation throws", async () => {
    const http = httpClient(backend.url);
    const before = await step(http.query(app.jobs, {}), "jobs");
    const error = await failure(http.mutation(app.placeThenFail, { dish: "soup" }));
    expect(error.message).toContain("The kitchen is closed");
    clock.advance(1_000);
    await settled();
    expect(await step(http.query(app.jobs, {}), "jobs")).toHaveLength(before.length);
    const notes = (await step(http.query(app.reminders, {}), "reminders")).map((r) => r.note);
    expect(notes).not.toContain("never");
  });

  it("schedules exactly one job per committed mutation when conflicting mutations retry", async () => {
    const http = httpClient(backend.url);
    const { orderId } = await step(
      http.mutation(app.place, { dish: "udon", remindInMs: 3_600_000 }),
      "the order",
    );
    const before = await step(http.query(app.jobs, {}), "jobs");
    const retriesBefore = backend.engine.executor.stats.mutationRetries;
    // Twenty bumps of one counter started in the same turn: all read the same snapshot, so all
    // but one conflict and are retried; every attempt schedules, only committed ones count.
    const outcomes = await step(
      Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          backend.engine.executor.run({
            path: "orders:bumpAndRemind",
            kind: "mutation",
            args: { orderId, n },
            identity: null,
          }),
        ),
      ),
      "the bumps",
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill("success"));
    expect(backend.engine.executor.stats.mutationRetries).toBeGreaterThan(retriesBefore);
    const after = await step(http.query(app.jobs, {}), "jobs");
    const added = after.filter((job) => !before.some((old) => old._id === job._id));
    expect(added.map((job) => (job.args[0] as { note: string }).note).sort()).toEqual(
      Array.from({ length: 20 }, (_, n) => `bump ${n}`).sort(),
    );
    await settled();
    const reminders = await step(http.query(app.reminders, {}), "reminders");
    expect(reminders.filter((r) => r.note.startsWith("bump "))).toHaveLength(20);
  });
});

describe("runAt, cancel and ctx.db.system", () => {
  it("runs a job scheduled in the past promptly", async () => {
    const http = httpClient(backend.url);
    const { orderId } = await step(
      http.mutation(app.place, { dish: "gyoza", remindInMs: 3_600_000 }),
      "the order",
    );
    const jobId = await step(
      http.mutation(app.remindAt, { orderId, at: clock.now() - 5_000 }),
      "runAt in the past",
    );
    await settled();
    const job = await step(http.query(app.job, { id: jobId }), "the job");
    expect(job?.state).toEqual({ kind: "success" });
    expect(job?.scheduledTime).toBe(clock.now() - 5_000);
  });

  it("cancels a pending job (it never runs) and ignores cancelling a finished one", async () => {
    const http = httpClient(backend.url);
    const { orderId, jobId } = await step(
      http.mutation(app.place, { dish: "tempura", remindInMs: 10_000 }),
      "the order",
    );
    await step(http.mutation(app.cancelReminder, { jobId }), "the cancel");
    const canceled = await step(http.query(app.job, { id: jobId }), "the job");
    expect(canceled?.state).toEqual({ kind: "canceled" });
    expect(canceled?.completedTime).toBe(clock.now());
    clock.advance(20_000);
    await settled();
    const reminders = await step(http.query(app.reminders, {}), "reminders");
    expect(reminders.filter((r) => r.orderId === orderId)).toEqual([]);
    // A finished job: cancel is a no-op, as in Convex.
    const done = await step(http.mutation(app.remindAt, { orderId, at: clock.now() }), "runAt");
    await settled();
    await step(http.mutation(app.cancelReminder, { jobId: done }), "cancel of a finished job");
    expect((await step(http.query(app.job, { id: done }), "the job"))?.state).toEqual({
      kind: "success",
    });
    // Cancelling again is a no-op too.
    await step(http.mutation(app.cancelReminder, { jobId }), "a second cancel");
    expect((await step(http.query(app.job, { id: jobId }), "the job"))?.state.kind).toBe(
      "canceled",
    );
  });

  it("refuses unknown paths and misspelled exports with Convex's messages", async () => {
    const http = httpClient(backend.url);
    const before = await step(http.query(app.jobs, {}), "jobs");
    const noModule = await failure(http.mutation(app.scheduleByName, { name: "kitchn:logEvent" }));
    expect(noModule.message).toContain(
      "Attempted to schedule function at nonexistent path: kitchn.js",
    );
    const noExport = await failure(http.mutation(app.scheduleByName, { name: "orders:remnd" }));
    expect(noExport.message).toContain(
      "Attempted to schedule function, but no exported function remnd found in the file: orders.js. Did you forget to export it?",
    );
    expect(await step(http.query(app.jobs, {}), "jobs")).toHaveLength(before.length);
  });

  it("records a failing job as failed with its error, its writes discarded", async () => {
    const http = httpClient(backend.url);
    const jobId = await step(http.mutation(app.scheduleFailure, {}), "scheduling");
    await settled();
    const job = await step(http.query(app.job, { id: jobId }), "the job");
    expect(job?.state).toEqual({ kind: "failed", error: "The oven is broken" });
    expect(job?.completedTime).toBe(clock.now());
    const events = await step(http.query(app.events, {}), "events");
    expect(events.map((e) => e.kind)).not.toContain("written by a failing job");
  });
});

describe("actions and the scheduler", () => {
  it("schedules and cancels from an action; a scheduled action runs once", async () => {
    const http = httpClient(backend.url);
    const canceledId = await step(
      http.action(app.scheduleQuote, { url: supplier.url, item: "nori", cancel: true, delayMs: 0 }),
      "schedule and cancel from an action",
    );
    expect((await step(http.query(app.job, { id: canceledId }), "the job"))?.state).toEqual({
      kind: "canceled",
    });
    using watched = record(client, app.jobs, {});
    const jobId = await step(
      http.action(app.scheduleQuote, {
        url: supplier.url,
        item: "miso",
        cancel: false,
        delayMs: 0,
      }),
      "schedule from an action",
    );
    await watched.value(
      (list) => jobById(list, jobId)?.state.kind === "success",
      "the scheduled action to succeed",
    );
    await settled();
    const kinds = watched.values.map((list) => jobById(list, jobId)?.state.kind ?? "absent");
    // Each state in order (a fast job may skip a delivery, never go back).
    const order = ["absent", "pending", "inProgress", "success"];
    const positions = kinds.map((kind) => order.indexOf(kind));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(supplier.requests.filter((r) => r.includes("item=miso"))).toHaveLength(1);
    expect(supplier.requests.filter((r) => r.includes("item=nori"))).toHaveLength(0);
  });
});

describe("cancel and the running job", () => {
  it("refuses a scheduled mutation cancelling its own job", async () => {
    const http = httpClient(backend.url);
    const jobId = await step(http.mutation(app.scheduleCancelOwn, {}), "scheduling");
    await settled();
    expect((await step(http.query(app.job, { id: jobId }), "the job"))?.state).toEqual({
      kind: "failed",
      error: "A mutation cannot cancel itself",
    });
  });

  it("lets a canceled action run on, but what it schedules afterwards is born canceled", async () => {
    await using gate = await step(startGate(), "the gate to open");
    const http = httpClient(backend.url);
    const jobId = await step(
      http.mutation(app.scheduleQuoteThenFollowUp, { url: gate.url }),
      "scheduling the action",
    );
    await eventually(() => gate.waiting === 1, "the action to wait at the gate");
    await step(http.mutation(app.cancelReminder, { jobId }), "cancelling the running action");
    gate.release();
    await settled();
    // The action finished, but its job stays canceled (its outcome is dropped).
    expect((await step(http.query(app.job, { id: jobId }), "the job"))?.state).toEqual({
      kind: "canceled",
    });
    const jobs = await step(http.query(app.jobs, {}), "jobs");
    const followUp = jobs.find((job) => job.name === "kitchen.js:logEvent");
    expect(followUp?.state).toEqual({ kind: "canceled" });
    const events = await step(http.query(app.events, {}), "events");
    expect(events.map((e) => e.kind)).not.toContain("follow-up");
  });
});

describe("retention", () => {
  it("deletes finished jobs seven days after they completed, and keeps pending ones", async () => {
    const http = httpClient(backend.url);
    const { jobId: pendingId } = await step(
      http.mutation(app.place, { dish: "mochi", remindInMs: 8 * 24 * 3_600_000 }),
      "an order reminded in eight days",
    );
    const { jobId: doneId } = await step(
      http.mutation(app.place, { dish: "dango", remindInMs: 0 }),
      "an order reminded at once",
    );
    await settled();
    const jobsBefore = await step(http.query(app.jobs, {}), "jobs");
    const done = await step(http.query(app.job, { id: doneId }), "the finished job");
    expect(done?.state.kind).toBe("success");
    clock.set((done?.completedTime ?? 0) + 7 * 24 * 3_600_000 - 1);
    await settled();
    expect(await step(http.query(app.job, { id: doneId }), "the job, kept")).not.toBeNull();
    clock.advance(1);
    await settled();
    expect(await step(http.query(app.job, { id: doneId }), "the job, deleted")).toBeNull();
    const jobs = await step(http.query(app.jobs, {}), "jobs");
    // Every job that finished more than 7 days ago is gone (the one-hour reminders of earlier
    // stories ran when the clock jumped, so they are kept); the pending one stays.
    const week = 7 * 24 * 3_600_000;
    expect(jobs.length).toBeLessThan(jobsBefore.length);
    for (const job of jobs) {
      if (job.state.kind !== "pending")
        expect(job.completedTime ?? 0).toBeGreaterThan(clock.now() - week);
    }
    expect(jobs.find((job) => job._id === pendingId)?.state.kind).toBe("pending");
  });
});
