/**
 * Scheduled-job throughput: 10,000 mutations that each place an order and schedule a reminder
 * with `ctx.scheduler.runAfter(0, ...)` (`orders:place` of `test/fixtures/scheduler_bench_app`), and the
 * time until every reminder job has run. Beside it, the baseline: the same 10,000 orders placed by
 * a mutation that schedules nothing (`orders:placeOnly`), and its commit throughput. The target:
 * scheduling costs at most 2x (time until all jobs completed <= 2 x the baseline's time).
 *
 * Each scenario gets a fresh backend in a child process and a fresh data file (see
 * `commit_throughput.ts` for why), 16 closed-loop callers over `node:http`, a short warm-up,
 * then the fixed count. "All completed" is when the engine has run 2 x N mutations (N calls and N
 * scheduled jobs; `committer.stats.commits`, polled every 10 ms); then the reminders are counted
 * (`orders:reminderCount`) and must equal N, or the run prints FAIL and sets exit code 1.
 * Throughput is printed, never asserted.
 *
 *   node cli/run_ts.js bench/scheduler_throughput.ts [--mutations 10000] [--callers 16]
 *     [--durability full|normal] [--client http|convex]
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Durability } from "../engine/index.ts";
import { createApiCaller, type ClientKind } from "./support/api_caller.ts";
import { startEngineProcess, type EngineProcess } from "./support/engine_process.ts";
import { runCountedLoad, sleep, tempDir } from "./support/harness.ts";
import {
  count,
  durability,
  flag,
  oneOf,
  runFromCommandLine,
  type Flags,
} from "./support/options.ts";
import { REPO_ROOT, statsDelta, type EngineStats } from "./support/protocol.ts";
import { formatCount, formatMs, formatRatio, Report, verdict } from "./support/report.ts";

/** The largest acceptable ratio (time until all jobs completed / baseline time). */
export const TARGET_RATIO = 2;
const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "scheduler_bench_app");
const WARMUP_CALLS = 200;
/** How long the jobs may take to complete after the last call was acknowledged. // ms */
const COMPLETION_TIMEOUT_MS = 120_000;

export interface SchedulerThroughputOptions {
  /** Mutations per scenario. @default 10_000 */
  readonly mutations: number;
  /** Concurrent closed-loop callers. @default 16 */
  readonly callers: number;
  /** @default "full" */
  readonly durability: Durability;
  /** @default "http" */
  readonly client: ClientKind;
}

export const DEFAULT_SCHEDULER_THROUGHPUT_OPTIONS: SchedulerThroughputOptions = {
  mutations: 10_000,
  callers: 16,
  durability: "full",
  client: "http",
};

const FLAGS: Flags<SchedulerThroughputOptions> = {
  mutations: flag("mutations", count),
  callers: flag("callers", count),
  durability: flag("durability", durability),
  client: flag("client", oneOf("http", "convex")),
};

type Scenario = "baseline" | "scheduled";

interface ScenarioResult {
  readonly scenario: Scenario;
  /** From the first call to the last acknowledgement. // ms */
  readonly acknowledgedMs: number;
  /** From the first call until every scheduled job ran (= acknowledgedMs for the baseline). // ms */
  readonly completedMs: number;
  readonly failed: number;
  readonly problems: readonly string[];
  readonly stats: EngineStats;
}

/** Resolves once the engine ran `count` more mutations than in `before`. */
async function mutationsDone(
  engine: EngineProcess,
  before: EngineStats,
  count: number,
): Promise<void> {
  const deadline = performance.now() + COMPLETION_TIMEOUT_MS;
  for (;;) {
    const stats = await engine.stats();
    // Commits, not executions: an execution is counted before its commit has landed, and the
    // reminder count read next would miss the last jobs' writes.
    if (stats.committer.commits - before.committer.commits >= count) return;
    if (performance.now() > deadline)
      throw new Error(`scheduler_throughput: jobs not done after ${COMPLETION_TIMEOUT_MS} ms`);
    await sleep(10);
  }
}

async function runScenario(
  scenario: Scenario,
  options: SchedulerThroughputOptions,
): Promise<ScenarioResult> {
  await using dir = tempDir("convex-graphql-bench-");
  await using engine = await startEngineProcess({
    dataFile: path.join(dir.path, "engine.sqlite3"),
    durability: options.durability,
    dir: APP_DIR,
  });
  const caller = createApiCaller(options.client, engine.url);
  const path_ = scenario === "scheduled" ? "orders:place" : "orders:placeOnly";
  const perCall = scenario === "scheduled" ? 2 : 1; // the call, and its job
  try {
    const fresh = await engine.stats();
    for (let n = 0; n < WARMUP_CALLS; n++) await caller.mutation(path_, { dish: `warm-up ${n}` });
    await mutationsDone(engine, fresh, perCall * WARMUP_CALLS);
    const before = await engine.stats();
    const failures: string[] = [];
    const start = performance.now();
    const load = await runCountedLoad({
      callers: options.callers,
      total: options.mutations,
      call: async (_caller, index) => {
        const result = await caller.mutation(path_, { dish: `dish ${index}` });
        if (result.status === "success") return true;
        failures.push(result.errorMessage);
        return false;
      },
    });
    const acknowledgedMs = performance.now() - start;
    await mutationsDone(engine, before, perCall * load.succeeded);
    const completedMs = performance.now() - start;
    const stats = statsDelta(before, await engine.stats());
    const problems = failures.slice(0, 1).map((failure) => `first failure: ${failure}`);
    if (scenario === "scheduled") {
      const count = await caller.query("orders:reminderCount", {});
      const expected = load.succeeded + WARMUP_CALLS;
      if (count.status !== "success" || count.value !== expected)
        problems.push(`reminders: ${JSON.stringify(count)}, expected ${expected}`);
    }
    return { scenario, acknowledgedMs, completedMs, failed: load.failed, problems, stats };
  } finally {
    caller.close();
  }
}

function row(
  result: ScenarioResult,
  options: SchedulerThroughputOptions,
  report: Report,
): string[] {
  const n = options.mutations;
  return [
    result.scenario === "baseline"
      ? "baseline: orders:placeOnly"
      : "scheduled: orders:place + runAfter(0)",
    formatCount(n),
    formatMs(result.acknowledgedMs),
    formatCount((n * 1000) / result.acknowledgedMs),
    formatMs(result.completedMs),
    formatCount((n * 1000) / result.completedMs),
    formatCount(result.stats.committer.commits),
    formatCount(result.stats.committer.batches),
    formatCount(result.stats.executor.mutationRetries),
    String(result.failed),
    report.check(result.problems.length === 0),
  ];
}

/** Runs both scenarios and prints their table; resolves with the ratio. */
export async function schedulerThroughput(
  options: SchedulerThroughputOptions = DEFAULT_SCHEDULER_THROUGHPUT_OPTIONS,
): Promise<number> {
  const report = new Report();
  report.heading(
    `Scheduler throughput: ${formatCount(options.mutations)} mutations, ${options.callers} callers ` +
      `(${options.client}), durability ${options.durability}`,
  );
  const baseline = await runScenario("baseline", options);
  const scheduled = await runScenario("scheduled", options);
  for (const result of [baseline, scheduled])
    for (const problem of result.problems) report.problem(result.scenario, problem);
  report.table(
    [
      "scenario",
      "mutations",
      "acked in ms",
      "acked/s",
      "all jobs done in ms",
      "done/s",
      "commits",
      "batches",
      "retries",
      "failed",
      "check",
    ],
    [row(baseline, options, report), row(scheduled, options, report)],
  );
  const ratio = scheduled.completedMs / baseline.completedMs;
  report.line(
    `Scheduling cost: ${formatRatio(ratio)} the baseline's time (target: at most ${TARGET_RATIO}x): ` +
      verdict(ratio <= TARGET_RATIO),
  );
  report.finish();
  return ratio;
}

/**
 * A generous upper bound of the run time: two engines, the calls and the jobs (half the jobs'
 * completion timeout included, so that the watchdog at twice this outlasts it).
 */
export function expectedSchedulerThroughputMs(options: SchedulerThroughputOptions): number {
  return 2 * 10_000 + options.mutations * 3 + COMPLETION_TIMEOUT_MS / 2;
}

await runFromCommandLine(import.meta.url, {
  name: "scheduler_throughput",
  defaults: DEFAULT_SCHEDULER_THROUGHPUT_OPTIONS,
  flags: FLAGS,
  expectedMs: expectedSchedulerThroughputMs,
  run: schedulerThroughput,
});
