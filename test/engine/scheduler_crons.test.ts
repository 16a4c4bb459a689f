/**
 * Cron jobs of `convex/crons.ts` on an injected clock, against a copy of the scheduler fixture
 * app (the test edits its `crons.ts`). The stories: an interval cron runs at once when registered,
 * then every period; runs missed while time jumped are skipped (one late run, the rest logged as
 * canceled), not replayed; clock schedules (daily, cron strings) run at their UTC times; every
 * run is logged (the newest five per cron are kept); a reload reconciles the crons by name
 * (removed ones stop, changed ones are rescheduled, new ones start); a cron naming a query or a
 * missing function, or with a schedule that never matches, is reported.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../engine/index.ts";
import type { DocumentValue } from "../../engine/storage/types.ts";
import { tempDir, type TestBackend } from "../utils/backend.ts";
import { httpClient, serve } from "../sync/support/clients.ts";
import { startSupplierStub, type SupplierStub } from "../utils/supplier_stub.ts";
import { app, copySchedulerApp, START_MS } from "./support/scheduler_app.ts";
import { eventually, step } from "../utils/waits.ts";

const MINUTE = 60_000;
let folder: { path: string } & AsyncDisposable;
let clock: ManualClock;
let backend: TestBackend;
let supplier: SupplierStub;

beforeAll(async () => {
  folder = tempDir("convex-graphql-crons-");
  copySchedulerApp(folder.path);
  clock = new ManualClock(START_MS);
  supplier = await step(startSupplierStub(), "the supplier stub to start");
  backend = await serve({ dir: folder.path, clock, env: { SUPPLIER_URL: supplier.url } });
});

afterAll(async () => {
  await step(Promise.resolve(backend[Symbol.asyncDispose]()), "the backend to close");
  await step(Promise.resolve(supplier[Symbol.asyncDispose]()), "the supplier stub to close");
  await step(Promise.resolve(folder[Symbol.asyncDispose]()), "the folder to go");
});

async function settled(): Promise<void> {
  await step(backend.engine.scheduler.idle(), "the scheduler to settle");
}

/** How many times each event kind was recorded by the crons. */
async function eventCounts(): Promise<Record<string, number>> {
  const events = await step(httpClient(backend.url).query(app.events, {}), "events");
  const counts: Record<string, number> = {};
  for (const { kind } of events) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The engine's documents of a system table (cron tables are invisible to apps, as in Convex). */
function systemDocuments(table: string): DocumentValue[] {
  return [...backend.engine.store.latestDocuments()]
    .filter((document) => document.table === table)
    .map((document) => document.value);
}

function logsOf(name: string): DocumentValue[] {
  return systemDocuments("_cron_job_logs")
    .filter((log) => log["name"] === name)
    .sort((a, b) => (a["_creationTime"] as number) - (b["_creationTime"] as number));
}

describe("cron jobs", () => {
  it("registers every cron of crons.ts; an interval cron runs at once, then every period", async () => {
    await settled();
    const names = systemDocuments("_cron_jobs").map((cron) => cron["name"] as string);
    expect(names.sort()).toEqual([
      "archive served orders",
      "hourly",
      "monthly",
      "quarter hour",
      "supplier quote",
      "tick",
      "weekly",
    ]);
    const next: Record<string, unknown> = {};
    for (const cron of systemDocuments("_cron_jobs")) next[cron["name"] as string] = cron["nextTs"];
    expect(next).toEqual({
      tick: START_MS + MINUTE, // ran at registration
      "supplier quote": START_MS + 60 * MINUTE, // an action, ran at registration too
      "archive served orders": Date.UTC(2030, 0, 1, 3, 0),
      "quarter hour": Date.UTC(2030, 0, 1, 3, 0),
      hourly: Date.UTC(2030, 0, 1, 3, 30),
      weekly: Date.UTC(2030, 0, 7, 9, 0), // 2030-01-07 is a Monday
      monthly: Date.UTC(2030, 0, 1, 4, 0), // the 1st, 04:00: later today
    });
    expect(await eventCounts()).toEqual({ tick: 1 });
    clock.advance(MINUTE - 1);
    await settled();
    expect(await eventCounts()).toEqual({ tick: 1 });
    clock.advance(1);
    await settled();
    expect(await eventCounts()).toEqual({ tick: 2 });
    expect(logsOf("tick").map((log) => log["status"])).toEqual([
      { type: "success", result: "null" },
      { type: "success", result: "null" },
    ]);
  });

  it("runs an action cron once per period, logging what it returned", async () => {
    await eventually(() => supplier.requests.length === 1, "the action cron to call the supplier");
    await settled();
    expect(supplier.requests).toEqual(["/price?item=yuzu"]);
    expect(logsOf("supplier quote").map((log) => log["status"])).toEqual([
      { type: "success", result: JSON.stringify(JSON.stringify({ item: "yuzu", price: 6 })) },
    ]);
  });

  it("skips missed runs instead of replaying them, and runs clock schedules at their UTC time", async () => {
    const http = httpClient(backend.url);
    const { orderId } = await step(
      http.mutation(app.place, { dish: "curry", remindInMs: 24 * 3_600_000 }),
      "an order",
    );
    await step(http.mutation(app.serve, { orderId }), "serving it");
    // 02:51 -> 03:01 in one jump: ten tick occurrences passed.
    clock.advance(10 * MINUTE);
    await settled();
    const counts = await eventCounts();
    expect(counts).toEqual({ tick: 3, quarter: 1, archive: 1 });
    const tickLogs = logsOf("tick").map((log) => log["status"]);
    expect(tickLogs.at(-1)).toEqual({ type: "canceled", numCanceled: 9 });
    const orders = await step(http.query(app.orders, {}), "orders");
    expect(orders.find((order) => order._id === orderId)?.status).toBe("archived");
    expect(logsOf("archive served orders").map((log) => log["status"])).toEqual([
      { type: "success", result: "1" },
    ]);
    // The next tick is the first occurrence after now, on the original period.
    const tick = systemDocuments("_cron_jobs").find((cron) => cron["name"] === "tick");
    expect(tick?.["nextTs"]).toBe(START_MS + 12 * MINUTE);
  });

  it("keeps the newest five logs of each cron", async () => {
    for (let i = 0; i < 4; i++) {
      clock.advance(MINUTE);
      await settled();
    }
    expect(logsOf("tick")).toHaveLength(5);
    expect((await eventCounts())["tick"]).toBe(7);
  });

  it("reconciles crons by name when the functions reload", async () => {
    const cronsFile = path.join(folder.path, "convex", "crons.ts");
    fs.writeFileSync(
      cronsFile,
      [
        'import { cronJobs } from "convex/server";',
        'import { internal } from "./_generated/api.js";',
        "const crons = cronJobs();",
        'crons.cron("quarter hour", "0 * * * *", internal.kitchen.logEvent, { kind: "quarter" });',
        'crons.interval("fast", { seconds: 30 }, internal.kitchen.logEvent, { kind: "fast" });',
        'crons.daily("archive served orders", { hourUTC: 3, minuteUTC: 0 }, internal.kitchen.archiveServed);',
        "export default crons;",
      ].join("\n"),
    );
    const report = await step(backend.engine.reload(), "the reload");
    expect(report.problems).toEqual([]);
    const crons = systemDocuments("_cron_jobs");
    expect(crons.map((cron) => cron["name"]).sort()).toEqual([
      "archive served orders",
      "fast",
      "quarter hour",
    ]);
    expect(crons.find((cron) => cron["name"] === "quarter hour")?.["nextTs"]).toBe(
      Date.UTC(2030, 0, 1, 4, 0),
    );
    expect(logsOf("tick")).toEqual([]); // a removed cron's logs go with it
    await settled();
    const before = await eventCounts();
    expect(before["fast"]).toBe(1); // a new interval cron runs at once
    clock.advance(30_000);
    await settled();
    const after = await eventCounts();
    expect(after).toEqual({ ...before, fast: 2 }); // "tick" no longer runs
  });

  it("reports a cron naming a query, a missing function, or never matching", async () => {
    const cronsFile = path.join(folder.path, "convex", "crons.ts");
    fs.writeFileSync(
      cronsFile,
      [
        'import { cronJobs, makeFunctionReference } from "convex/server";',
        'import { internal } from "./_generated/api.js";',
        "const crons = cronJobs();",
        'crons.hourly("peek", { minuteUTC: 5 }, internal.kitchen.peek);',
        'crons.hourly("gone", { minuteUTC: 5 }, makeFunctionReference<"mutation">("kitchen:gone"));',
        "export default crons;",
      ].join("\n"),
    );
    const report = await step(backend.engine.reload(), "the reload");
    expect(report.problems.map((problem) => problem.file)).toEqual([
      "convex/crons.ts",
      "convex/crons.ts",
    ]);
    expect(report.problems.map((problem) => problem.reason).join("\n")).toMatch(
      /cron "peek": Unsupported function type\. .*Only mutation and action can be scheduled\.[\s\S]*cron "gone": Could not find function/,
    );
    expect(systemDocuments("_cron_jobs")).toEqual([]);
    fs.writeFileSync(
      cronsFile,
      [
        'import { cronJobs } from "convex/server";',
        'import { internal } from "./_generated/api.js";',
        "const crons = cronJobs();",
        'crons.cron("never", "0 0 31 2 *", internal.kitchen.logEvent, { kind: "never" });',
        "export default crons;",
      ].join("\n"),
    );
    const never = await step(backend.engine.reload(), "the reload");
    expect(never.problems).toEqual([
      { file: "convex/crons.ts", reason: "The cron spec 0 0 31 2 * will never match any time" },
    ]);
  });
});
