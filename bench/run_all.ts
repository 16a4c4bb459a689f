/**
 * `npm run bench`: every benchmark in sequence, then `bench/results.md` (each figure beside its
 * baseline, with the ratio, and the machine) and the charts `bench/charts/*.svg`.
 *
 * The scaling benchmarks run as sweeps (`sweeps/`): commits/s vs callers, invalidation cost and
 * update latency vs live queries, fan-out latency vs subscribers; each point is a full run of the
 * benchmark with its baseline. The others run with their defaults and their printed reports are
 * kept in results.md (`sweeps/printed.ts`). See `bench/README.md`.
 *
 *   npm run bench                   # full sizes (about 30 min on 2 cores), writes bench/
 *   npm run bench -- --quick        # small sizes (a few minutes), writes bench/quick/
 *   BENCH_QUICK=1 npm run bench     # the same
 *   npm run bench -- --out DIR      # writes DIR/results.md and DIR/charts/
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { capturePrinted } from "./support/capture.ts";
import { writeChart, type Chart } from "./support/charts.ts";
import { startWatchdog } from "./support/options.ts";
import { REPO_ROOT } from "./support/protocol.ts";
import { machineFacts, type MachineFacts } from "./support/machine.ts";
import { Report } from "./support/report.ts";
import { Results } from "./support/results.ts";
import {
  writeResultsMarkdown,
  type ChartLink,
  type PrintedReport,
} from "./support/results_markdown.ts";
import {
  expectedFanoutSweepMs,
  fanoutSweep,
  FULL_FANOUT_SWEEP,
  QUICK_FANOUT_SWEEP,
} from "./sweeps/fanout_sweep.ts";
import {
  expectedInvalidationSweepMs,
  FULL_INVALIDATION_SWEEP,
  invalidationSweep,
  QUICK_INVALIDATION_SWEEP,
} from "./sweeps/invalidation_sweep.ts";
import { FULL_PRINTED, QUICK_PRINTED, type PrintedBenchmark } from "./sweeps/printed.ts";
import {
  expectedThroughputSweepMs,
  FULL_THROUGHPUT_SWEEP,
  QUICK_THROUGHPUT_SWEEP,
  throughputSweep,
} from "./sweeps/throughput_sweep.ts";

type Mode = "full" | "quick";

/** A sweep: runs, reports its figures, returns its charts. */
interface Step {
  readonly expectedMs: number;
  readonly run: (report: Report) => Promise<Chart[]>;
}

function sweeps(mode: Mode): Step[] {
  const quick = mode === "quick";
  const throughput = quick ? QUICK_THROUGHPUT_SWEEP : FULL_THROUGHPUT_SWEEP;
  const invalidation = quick ? QUICK_INVALIDATION_SWEEP : FULL_INVALIDATION_SWEEP;
  const fanout = quick ? QUICK_FANOUT_SWEEP : FULL_FANOUT_SWEEP;
  return [
    {
      expectedMs: expectedThroughputSweepMs(throughput),
      run: (report) => throughputSweep(throughput, report),
    },
    {
      expectedMs: expectedInvalidationSweepMs(invalidation),
      run: (report) => invalidationSweep(invalidation, report),
    },
    { expectedMs: expectedFanoutSweepMs(fanout), run: (report) => fanoutSweep(fanout, report) },
  ];
}

function commandLine(): { mode: Mode; out: string } {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { quick: { type: "boolean" }, out: { type: "string" } },
    strict: true,
  });
  const mode: Mode = values.quick === true || process.env["BENCH_QUICK"] === "1" ? "quick" : "full";
  const out = values.out ?? path.join(REPO_ROOT, "bench", mode === "quick" ? "quick" : "");
  return { mode, out: path.resolve(out) };
}

/** Renders the charts and writes results.md as they stand (again after each benchmark). */
async function publish(
  out: string,
  mode: Mode,
  run: {
    startedAt: Date;
    machineAtStart: MachineFacts;
    results: Results;
    charts: readonly Chart[];
  },
  printed: readonly PrintedReport[],
  complete: boolean,
): Promise<string> {
  const links: ChartLink[] = [];
  for (const chart of run.charts) {
    const file = await writeChart(path.join(out, "charts"), chart);
    links.push({ title: chart.title, file: path.relative(out, file) });
  }
  return writeResultsMarkdown(out, {
    results: run.results,
    mode: complete ? mode : `${mode}, unfinished`,
    command: mode === "quick" ? "npm run bench -- --quick" : "npm run bench",
    startedAt: run.startedAt,
    durationMs: Date.now() - run.startedAt.getTime(),
    machineAtStart: run.machineAtStart,
    machineAtEnd: machineFacts(),
    charts: links,
    printed,
  });
}

async function main(): Promise<void> {
  const { mode, out } = commandLine();
  const steps = sweeps(mode);
  const others: readonly PrintedBenchmark[] = mode === "quick" ? QUICK_PRINTED : FULL_PRINTED;
  const expectedMs = [...steps, ...others].reduce((sum, step) => sum + step.expectedMs, 0);
  const stopWatchdog = startWatchdog(2 * expectedMs, "bench/run_all");

  const run = {
    startedAt: new Date(),
    machineAtStart: machineFacts(),
    results: new Results(),
    charts: [] as Chart[],
  };
  const report = new Report(undefined, run.results);
  for (const step of steps) run.charts.push(...(await step.run(report)));
  // Written now and after each benchmark: a run stopped later still leaves what it measured.
  const printed: PrintedReport[] = [];
  await publish(out, mode, run, printed, false);
  for (const other of others) {
    const { text } = await capturePrinted(other.run);
    printed.push({ title: other.title, text });
    await publish(out, mode, run, printed, false);
  }
  const written = await publish(out, mode, run, printed, true);
  report.line(`wrote ${path.relative(process.cwd(), written)} and ${run.charts.length} charts`);
  stopWatchdog();
}

await main();
