/**
 * Hot counter: 16 callers increment ONE counter (`counters:increment` with the same name), a
 * read-modify-write of one row, so concurrent increments conflict and the engine must retry the
 * losers (OCC) without losing any. The baseline, in the same run: 16 callers each incrementing
 * a counter of its own (no contention), the same number of increments in total.
 *
 * Each scenario gets a fresh backend (child process, fresh data file; see `commit_throughput.ts`
 * for why a child process and `node:http`), a short warm-up on counters of their own, then the
 * fixed count of increments. It prints throughput, latency, the engine's retries
 * (`executor.stats.mutationRetries`) and OCC conflicts (`committer.stats.conflicts`), and checks
 * that every increment landed:
 *
 * - every call was acknowledged, and each counter's final value (`counters:get`) equals the
 *   increments acknowledged for it;
 * - on the hot counter, the values the increments returned are exactly 1..N, each once (no two
 *   increments read the same value: they were serialized).
 *
 * It prints PASS or FAIL per scenario; a FAIL (lost or failed increments) sets exit code 1.
 * Throughput is printed, never asserted.
 *
 *   node cli/run_ts.js bench/hot_counter.ts [--increments 2000] [--callers 16]
 *     [--durability full|normal] [--client http|convex]
 */
import path from "node:path";
import type { Durability } from "../engine/index.ts";
import { createApiCaller, type ApiCaller, type ClientKind } from "./support/api_caller.ts";
import { startEngineProcess } from "./support/engine_process.ts";
import { percentile, runCountedLoad, tempDir } from "./support/harness.ts";
import {
  count,
  durability,
  flag,
  oneOf,
  runFromCommandLine,
  type Flags,
} from "./support/options.ts";
import { formatCount, formatMs, Report } from "./support/report.ts";
import { statsDelta } from "./support/protocol.ts";

export interface HotCounterOptions {
  /** Increments in total per scenario. @default 2_000 */
  readonly increments: number;
  /** @default 16 */
  readonly callers: number;
  /** @default "full" (the engine's default) */
  readonly durability: Durability;
  /** @default "http" */
  readonly client: ClientKind;
}

export const DEFAULT_HOT_COUNTER_OPTIONS: HotCounterOptions = {
  increments: 2_000,
  callers: 16,
  durability: "full",
  client: "http",
};

const FLAGS: Flags<HotCounterOptions> = {
  increments: flag("increments", count),
  callers: flag("callers", count),
  durability: flag("durability", durability),
  client: flag("client", oneOf("http", "convex")),
};

type Scenario = "baseline" | "hot";

/** Increments each warm-up caller makes on a counter of its own before the measurement. */
const WARMUP_INCREMENTS_PER_CALLER = 10;

export interface HotCounterResult {
  readonly scenario: Scenario;
  readonly pass: boolean;
  readonly perSecond: number;
  readonly mutationRetries: number;
  readonly conflicts: number;
}

function counterName(scenario: Scenario, caller: number): string {
  return scenario === "hot" ? "hot" : `own-${caller}`;
}

async function readCounter(caller: ApiCaller, name: string): Promise<number> {
  const result = await caller.query("counters:get", { name });
  if (result.status === "error" || typeof result.value !== "number") {
    throw new Error(
      `counters:get ${name} failed: ${result.status === "error" ? result.errorMessage : `got a ${typeof result.value}`}`,
    );
  }
  return result.value;
}

/** The reasons the scenario failed its check; empty when every increment landed. */
async function verify(
  scenario: Scenario,
  caller: ApiCaller,
  options: HotCounterOptions,
  succeededByCaller: readonly number[],
  returned: readonly number[],
): Promise<{ problems: string[]; finalValues: string }> {
  const problems: string[] = [];
  const acknowledged = succeededByCaller.reduce((sum, n) => sum + n, 0);
  if (acknowledged !== options.increments) {
    problems.push(
      `${options.increments - acknowledged} of ${options.increments} increments were not acknowledged`,
    );
  }
  if (scenario === "hot") {
    const value = await readCounter(caller, "hot");
    if (value !== acknowledged)
      problems.push(`counter is ${value}, but ${acknowledged} increments were acknowledged`);
    const seen = new Set(returned);
    const serial =
      seen.size === returned.length &&
      returned.every((n) => Number.isInteger(n) && n >= 1 && n <= returned.length);
    if (!serial)
      problems.push(
        `the returned values are not exactly 1..${returned.length} (two increments read the same value)`,
      );
    return { problems, finalValues: String(value) };
  }
  const values = await Promise.all(
    succeededByCaller.map((_, index) => readCounter(caller, counterName(scenario, index))),
  );
  values.forEach((value, index) => {
    const expected = succeededByCaller[index] ?? 0;
    if (value !== expected)
      problems.push(`counter ${counterName(scenario, index)} is ${value}, expected ${expected}`);
  });
  return { problems, finalValues: `sum ${values.reduce((sum, n) => sum + n, 0)}` };
}

async function runScenario(
  scenario: Scenario,
  options: HotCounterOptions,
  report: Report,
): Promise<{ result: HotCounterResult; row: string[] }> {
  await using dir = tempDir("convex-graphql-bench-");
  await using engine = await startEngineProcess({
    dataFile: path.join(dir.path, "engine.sqlite3"),
    durability: options.durability,
  });
  const caller = createApiCaller(options.client, engine.url);
  try {
    // Warm-up (JIT, connections) without contention and on counters the scenario never reads.
    await Promise.all(
      Array.from({ length: options.callers }, async (_, index) => {
        for (let n = 0; n < WARMUP_INCREMENTS_PER_CALLER; n++) {
          await caller.mutation("counters:increment", { name: `warmup-${index}` });
        }
      }),
    );
    const before = await engine.stats();
    const returned: number[] = [];
    const failures: string[] = [];
    const load = await runCountedLoad({
      callers: options.callers,
      total: options.increments,
      call: async (callerIndex) => {
        const result = await caller.mutation("counters:increment", {
          name: counterName(scenario, callerIndex),
        });
        if (result.status === "error") {
          failures.push(result.errorMessage);
          return false;
        }
        if (typeof result.value === "number") returned.push(result.value);
        return true;
      },
    });
    const stats = statsDelta(before, await engine.stats());
    const { problems, finalValues } = await verify(
      scenario,
      caller,
      options,
      load.succeededByCaller,
      returned,
    );
    if (failures.length > 0) problems.push(`first failure: ${failures[0]}`);
    for (const problem of problems) report.problem(scenario, problem);
    const pass = problems.length === 0;
    const batches = stats.committer.batches;
    return {
      result: {
        scenario,
        pass,
        perSecond: load.perSecond,
        mutationRetries: stats.executor.mutationRetries,
        conflicts: stats.committer.conflicts,
      },
      row: [
        scenario === "hot" ? "hot: 1 shared counter" : `baseline: ${options.callers} own counters`,
        formatCount(options.increments),
        formatCount(load.succeeded),
        formatCount(load.failed),
        finalValues,
        formatCount(load.perSecond),
        formatMs(percentile(load.latenciesMs, 50)),
        formatMs(percentile(load.latenciesMs, 99)),
        formatCount(stats.executor.mutationRetries),
        formatCount(stats.committer.conflicts),
        batches === 0 ? "-" : (stats.committer.commits / batches).toFixed(2),
        report.check(pass),
      ],
    };
  } finally {
    caller.close();
  }
}

/** Runs the baseline, then the hot counter, and prints one table. */
export async function hotCounter(
  options: HotCounterOptions = DEFAULT_HOT_COUNTER_OPTIONS,
): Promise<HotCounterResult[]> {
  const report = new Report();
  report.heading(
    `Hot counter: counters:increment, ${options.callers} callers (${options.client}), ` +
      `${formatCount(options.increments)} increments per scenario, durability ${options.durability}`,
  );
  const results: HotCounterResult[] = [];
  const rows: string[][] = [];
  for (const scenario of ["baseline", "hot"] as const) {
    const { result, row } = await runScenario(scenario, options, report);
    results.push(result);
    rows.push(row);
  }
  report.table(
    [
      "scenario",
      "increments",
      "acked",
      "failed",
      "final value",
      "increments/s",
      "p50 ms",
      "p99 ms",
      "mutationRetries",
      "conflicts",
      "avg batch",
      "check",
    ],
    rows,
  );
  const [baseline, hot] = results;
  if (baseline !== undefined && hot !== undefined) {
    report.line(
      `hot / baseline throughput: ${((hot.perSecond / baseline.perSecond) * 100).toFixed(1)}%; ` +
        `retries per increment on the hot counter: ${(hot.mutationRetries / options.increments).toFixed(2)}`,
    );
  }
  report.finish();
  return results;
}

/** A generous upper bound of the run time: start-ups, plus both scenarios at >= 40 increments/s. */
export function expectedHotCounterMs(options: HotCounterOptions): number {
  return 20_000 + 2 * options.increments * 25;
}

await runFromCommandLine(import.meta.url, {
  name: "hot_counter",
  defaults: DEFAULT_HOT_COUNTER_OPTIONS,
  flags: FLAGS,
  expectedMs: expectedHotCounterMs,
  run: hotCounter,
});
