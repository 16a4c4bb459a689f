/**
 * Commits per second against concurrent callers: `commit_throughput.ts` once per caller count
 * and workload (its own alternation of engine and raw better-sqlite3 runs, medians), at one
 * durability. The raw baseline is one connection inserting back to back, so it does not depend
 * on the callers: it is measured again at each count as the ceiling beside that point. The
 * figures (and the target) are the one-document `insert` workload's; the example app's
 * `placeOrder` (two documents and a search index per commit) is a second line on the chart.
 */
import type { Durability } from "../../engine/index.ts";
import {
  commitThroughput,
  DEFAULT_COMMIT_THROUGHPUT_OPTIONS,
  expectedCommitThroughputMs,
  type CommitThroughputOptions,
  type CommitThroughputSummary,
  type Workload,
} from "../commit_throughput.ts";
import type { Chart } from "../support/charts.ts";
import type { Report } from "../support/report.ts";
import type { ChartRow } from "../support/results.ts";

export const THROUGHPUT_SECTION = "Commit throughput vs callers";

export interface ThroughputSweepOptions {
  readonly callers: readonly number[];
  readonly durability: Durability;
  /** Runs of each side per caller count (medians). */
  readonly runs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** The workloads measured at each count; the first one's figures go into the report. */
  readonly workloads: readonly Workload[];
}

export const FULL_THROUGHPUT_SWEEP: ThroughputSweepOptions = {
  callers: [1, 2, 4, 8, 16, 32],
  durability: "normal",
  runs: 2,
  warmupMs: 1_000,
  durationMs: 3_000,
  workloads: ["insert", "placeOrder"],
};

export const QUICK_THROUGHPUT_SWEEP: ThroughputSweepOptions = {
  callers: [1, 4, 16],
  durability: "normal",
  runs: 1,
  warmupMs: 300,
  durationMs: 1_000,
  workloads: ["insert"],
};

/** The target at 16 callers with `synchronous=NORMAL` (issue 14, item 3). */
const TARGET_SHARE = 0.4;

function runOptions(
  options: ThroughputSweepOptions,
  callers: number,
  workload: Workload,
): CommitThroughputOptions {
  return {
    ...DEFAULT_COMMIT_THROUGHPUT_OPTIONS,
    durabilities: [options.durability],
    runs: options.runs,
    callers,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    workload,
  };
}

export function expectedThroughputSweepMs(options: ThroughputSweepOptions): number {
  return options.callers.reduce(
    (sum, callers) =>
      sum +
      options.workloads.reduce(
        (inner, workload) =>
          inner + expectedCommitThroughputMs(runOptions(options, callers, workload)),
        0,
      ),
    0,
  );
}

const SERIES: Record<Workload, string> = {
  insert: "engine (HTTP API), one insert",
  placeOrder: "engine, orders:placeOrder (2 documents)",
};

async function measure(
  options: ThroughputSweepOptions,
  callers: number,
  workload: Workload,
): Promise<CommitThroughputSummary> {
  const [summary] = await commitThroughput(runOptions(options, callers, workload));
  if (summary === undefined) throw new Error("commit_throughput returned no summary");
  return summary;
}

/** Runs the sweep, reports a figure per caller count, returns the chart. */
export async function throughputSweep(
  options: ThroughputSweepOptions,
  report: Report,
): Promise<Chart[]> {
  const rows: ChartRow[] = [];
  for (const callers of options.callers) {
    const [first, ...others] = options.workloads;
    if (first === undefined) throw new Error("throughput sweep: no workload");
    const summary = await measure(options, callers, first);
    report.figure({
      section: THROUGHPUT_SECTION,
      label: `engine, ${callers} caller${callers === 1 ? "" : "s"}, synchronous=${options.durability}`,
      value: summary.engineMedian,
      unit: "commits/s",
      better: "higher",
      baseline: { label: "raw better-sqlite3", value: summary.rawMedian },
      ...(callers === 16 && options.durability === "normal"
        ? { note: `target >= ${TARGET_SHARE.toFixed(2)}x` }
        : {}),
    });
    rows.push(
      { series: SERIES[first], x: callers, y: summary.engineMedian },
      { series: "raw better-sqlite3", x: callers, y: summary.rawMedian },
    );
    for (const workload of others) {
      const other = await measure(options, callers, workload);
      rows.push({ series: SERIES[workload], x: callers, y: other.engineMedian });
    }
  }
  report.remark(
    THROUGHPUT_SECTION,
    `A one-document insert mutation (test/fixtures/commit_bench_app) by N closed-loop callers ` +
      `over HTTP (engine in a child process; lean socket client), ` +
      `${options.durationMs / 1000} s after ${options.warmupMs / 1000} s warm-up, median of ` +
      `${options.runs} alternating runs; raw = one-row INSERT transactions on one connection, same settings.` +
      (options.workloads.length > 1
        ? " The chart's other engine lines: the example app's orders:placeOrder (order + scheduled reminder)."
        : ""),
  );
  return [
    {
      name: "commit_throughput",
      title: `Commits/s vs concurrent callers (synchronous=${options.durability})`,
      x: { title: "concurrent callers", log: true },
      y: { title: "commits per second" },
      rows,
    },
  ];
}
