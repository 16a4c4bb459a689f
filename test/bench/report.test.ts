/**
 * The benchmark report end to end on real, small runs: commit throughput (engine in a child
 * process beside raw better-sqlite3), invalidation (index vs linear scan, and update latency
 * through raw sync sockets) and fan-out (gateway vs plain Yoga, each in its own processes). Their
 * figures go through `Report` into `Results`, their charts are rendered to SVG by Vega, and
 * results.md is written; the test reads both back.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chartSpec, renderSvg, writeChart, type Chart } from "../../bench/support/charts.ts";
import { machineFacts } from "../../bench/support/machine.ts";
import { formatRatio, Report } from "../../bench/support/report.ts";
import { ratioOf, Results } from "../../bench/support/results.ts";
import { writeResultsMarkdown } from "../../bench/support/results_markdown.ts";
import { fanoutSweep, QUICK_FANOUT_SWEEP } from "../../bench/sweeps/fanout_sweep.ts";
import {
  invalidationSweep,
  QUICK_INVALIDATION_SWEEP,
} from "../../bench/sweeps/invalidation_sweep.ts";
import { throughputSweep } from "../../bench/sweeps/throughput_sweep.ts";
import { allElements, parseSvg, type SvgElement } from "./svg_document.ts";

const results = new Results();
const printed: string[] = [];
const report = new Report((text) => void printed.push(text), results);
const charts: Chart[] = [];
let dir = "";

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-report-test-"));
  const started = Date.now();
  charts.push(
    ...(await throughputSweep(
      {
        callers: [1, 4],
        durability: "normal",
        runs: 1,
        warmupMs: 200,
        durationMs: 500,
        workloads: ["insert", "placeOrder"],
      },
      report,
    )),
    ...(await invalidationSweep(
      {
        invalidation: {
          ...QUICK_INVALIDATION_SWEEP.invalidation,
          subscriptions: 20,
          mutations: 5,
          sizes: [100, 1_000],
          commits: 500,
        },
        perConnection: { ...QUICK_INVALIDATION_SWEEP.perConnection, sizes: [20, 60], mutations: 5 },
        clients: ["raw"],
      },
      report,
    )),
    ...(await fanoutSweep({ ...QUICK_FANOUT_SWEEP, subscribers: [10, 30], updates: 3 }, report)),
  );
  await writeResultsMarkdown(dir, {
    results,
    mode: "test",
    command: "vitest",
    startedAt: new Date(started),
    durationMs: Date.now() - started,
    machineAtStart: machineFacts(),
    machineAtEnd: machineFacts(),
    charts: charts.map((chart) => ({ title: chart.title, file: `charts/${chart.name}.svg` })),
    printed: [{ title: "Printed", text: printed.join("") }],
  });
}, 300_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The texts of the chart's marks and legends, and its plotted points. */
function readChart(svg: SvgElement): { texts: string[]; points: number } {
  const elements = allElements(svg);
  const texts = elements.filter((e) => e.name === "text").map((e) => e.text);
  const symbols = elements.filter((e) =>
    /\bmark-symbol role-mark\b/.test(e.attributes.get("class") ?? ""),
  );
  return { texts, points: symbols.reduce((sum, group) => sum + group.children.length, 0) };
}

describe("the charts of real sweeps", () => {
  it("render to well-formed SVG with every series and every measured point", async () => {
    expect(charts.map((chart) => chart.name)).toEqual([
      "commit_throughput",
      "invalidation_cost",
      "update_latency_vs_queries",
      "fanout_latency",
    ]);
    for (const chart of charts) {
      const file = await writeChart(path.join(dir, "charts"), chart);
      const svg = parseSvg(fs.readFileSync(file, "utf8"));
      const { texts, points } = readChart(svg);
      const series = new Set(chart.rows.map((row) => row.series));
      expect(series.size, chart.name).toBeGreaterThanOrEqual(
        chart.name.startsWith("update") ? 1 : 2,
      );
      for (const name of series) expect(texts, chart.name).toContain(name);
      expect(texts, chart.name).toContain(chart.title);
      // Every measurement is a real number, never negative (a fan-out to a few subscribers can
      // end before the acknowledgement: 0), and each positive one is drawn as a point (a log
      // scale has no 0).
      for (const row of chart.rows) {
        expect(Number.isFinite(row.y), `${chart.name} ${row.series}`).toBe(true);
        expect(row.y, `${chart.name} ${row.series}`).toBeGreaterThanOrEqual(0);
      }
      expect(points, chart.name).toBe(chart.rows.filter((row) => row.y > 0).length);
      expect(points, chart.name).toBeGreaterThan(0);
    }
    const fanout = charts.find((chart) => chart.name === "fanout_latency");
    expect(new Set(fanout?.rows.map((row) => row.x))).toEqual(new Set([10, 30]));
  });

  it("drops points that were not measured instead of failing to draw", async () => {
    const chart = charts[0] as Chart;
    const missing = { ...chart, rows: [...chart.rows, { series: "absent", x: 2, y: Number.NaN }] };
    const { points } = readChart(parseSvg(await renderSvg(chartSpec(missing))));
    expect(points).toBe(chart.rows.length);
  });
});

describe("results.md of real sweeps", () => {
  it("has the machine, and every figure beside its baseline with the ratio", () => {
    const markdown = fs.readFileSync(path.join(dir, "results.md"), "utf8");
    const facts = machineFacts();
    expect(markdown).toContain(`- CPU: ${facts.cpuModel}, ${facts.cores} cores`);
    expect(markdown).toContain(`- Node: ${facts.node}`);
    expect(markdown).toMatch(
      /Load average \(1 \/ 5 \/ 15 min\): [\d.]+ \/ [\d.]+ \/ [\d.]+ at the start, [\d.]+ \/ [\d.]+ \/ [\d.]+ at the end/,
    );
    const sections = results.sections();
    expect(sections).toHaveLength(4);
    for (const section of sections) expect(markdown).toContain(`## ${section}`);
    // Table rows as cells: figure | value | baseline | baseline value | ratio | notes.
    const rows = markdown
      .split("\n")
      .filter((line) => line.startsWith("| "))
      .map((line) =>
        line
          .slice(1, -1)
          .split(" | ")
          .map((text) => text.trim()),
      );
    for (const figure of results.figures) {
      expect(figure.baseline, figure.label).not.toBeNull();
      const ratio = ratioOf(figure);
      expect(Number.isFinite(ratio), figure.label).toBe(true);
      const row = rows.find((cells) => cells[0] === figure.label);
      expect(row?.[2], figure.label).toBe(figure.baseline?.label);
      expect(row?.[4], figure.label).toBe(formatRatio(ratio));
    }
    const labels = results.figures.map((figure) => figure.label);
    expect(labels).toContain("engine, 4 callers, synchronous=normal");
    expect(labels).toContain("this gateway (graphql-ws) vs raw ws broadcast, 30 subscribers, p50");
    expect(labels).toContain("this gateway (SSE) vs raw SSE broadcast, 30 subscribers, p50");
    for (const chart of charts) expect(markdown).toContain(`(charts/${chart.name}.svg)`);
    // What the report printed while collecting is the same figures.
    expect(printed.join("")).toContain("engine, 1 caller, synchronous=normal: ");
  });
});
