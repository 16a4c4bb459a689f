/**
 * Cron jobs of components (a component's own `crons.ts`), on an injected clock, against a copy of
 * the components fixture app that gives its local `counter` component a cron and installs
 * `@convex-dev/action-retrier` from npm, whose cleanup cron runs daily. The stories: both are
 * registered beside the app's, under their component's path; they run in their component (the
 * counter's own table, the retrier's internal mutation); and removing a component's cron on a
 * reload stops it.
 */
import fs from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../engine/index.ts";
import type { DocumentValue } from "../../engine/storage/types.ts";
import { REPO_ROOT, tempDir, type TestBackend } from "../utils/backend.ts";
import { httpClient, serve } from "../sync/support/clients.ts";
import { step } from "../utils/waits.ts";

const COMPONENTS_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "components_app");
const START_MS = Date.UTC(2030, 0, 1, 0, 0);
const MINUTE = 60_000;

const COUNTER_CRONS = `import { cronJobs } from "convex/server";
import { api } from "./_generated/api.js";

const crons = cronJobs();
crons.interval("count up", { minutes: 1 }, api.lib.add, { name: "cron ticks", amount: 1 });
export default crons;
`;

const RETRIER = `import actionRetrier from "@convex-dev/action-retrier/convex.config.js";
app.use(actionRetrier);
export default app;`;

const counterValue = makeFunctionReference<"query", { name: string }, number>("game:counterValue");

let folder: { path: string } & AsyncDisposable;
let clock: ManualClock;
let backend: TestBackend;

/** A copy of the components app whose counter has a cron, with the action retrier installed. */
function writeApp(dir: string): void {
  fs.cpSync(path.join(COMPONENTS_APP_DIR, "convex"), path.join(dir, "convex"), { recursive: true });
  fs.writeFileSync(path.join(dir, "convex", "counter", "crons.ts"), COUNTER_CRONS);
  const config = path.join(dir, "convex", "convex.config.ts");
  const text = fs.readFileSync(config, "utf8");
  fs.writeFileSync(config, text.replace("export default app;", RETRIER));
}

beforeAll(async () => {
  folder = tempDir("convex-graphql-component-crons-");
  writeApp(folder.path);
  clock = new ManualClock(START_MS);
  backend = await serve({ dir: folder.path, clock });
}, 60_000);

afterAll(async () => {
  await backend?.[Symbol.asyncDispose]();
  await folder?.[Symbol.asyncDispose]();
});

async function settled(): Promise<void> {
  await step(backend.engine.scheduler.idle(), "the scheduler to settle");
}

function systemDocuments(table: string): DocumentValue[] {
  return [...backend.engine.store.latestDocuments()]
    .filter((document) => document.table === table)
    .map((document) => document.value);
}

function logsOf(name: string): DocumentValue[] {
  return systemDocuments("_cron_job_logs").filter((log) => log["name"] === name);
}

async function ticks(): Promise<number> {
  return httpClient(backend.url).query(counterValue, { name: "cron ticks" });
}

describe("components' cron jobs", () => {
  it("registers each component's crons under its path, targeting its own functions", async () => {
    await settled();
    const crons = systemDocuments("_cron_jobs").map((cron) => [cron["name"], cron["udfPath"]]);
    expect(crons.sort()).toEqual([
      ["actionRetrier|Cleanup expired runs", "actionRetrier|run.js:cleanupExpiredRuns"],
      ["counter|count up", "counter|lib.js:add"],
    ]);
  });

  it("runs them in their component: the counter's table, the retrier's internal mutation", async () => {
    await settled();
    expect(await ticks()).toBe(1); // a new interval cron runs at once
    for (let minute = 1; minute <= 2; minute++) {
      clock.advance(MINUTE);
      await settled();
    }
    expect(await ticks()).toBe(3);
    expect(logsOf("counter|count up").map((log) => log["status"])).toEqual([
      { type: "success", result: "1" },
      { type: "success", result: "2" },
      { type: "success", result: "3" },
    ]);
    const [cleanup] = logsOf("actionRetrier|Cleanup expired runs");
    expect(cleanup?.["status"]).toEqual({ type: "success", result: "null" });
    expect(cleanup?.["logLines"]).toEqual(["[LOG] 'Cleaned up 0 expired runs'"]);
  });

  it("stops a component's cron removed on a reload", async () => {
    fs.rmSync(path.join(folder.path, "convex", "counter", "crons.ts"));
    const report = await backend.engine.reload();
    expect(report.ok).toBe(true);
    const before = await ticks();
    clock.advance(5 * MINUTE);
    await settled();
    expect(await ticks()).toBe(before);
    const names = systemDocuments("_cron_jobs").map((cron) => cron["name"]);
    expect(names).toEqual(["actionRetrier|Cleanup expired runs"]);
    expect(logsOf("counter|count up")).toEqual([]);
  });
});
