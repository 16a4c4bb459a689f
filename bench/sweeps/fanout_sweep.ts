/**
 * Fan-out latency against subscribers: `fanout.ts` once per subscriber count, with its own
 * servers (this gateway, plain Yoga pubsub, and the raw `ws` broadcast where `fanout.ts` measures
 * it), so each point has its baselines from the same run. A count that cannot run here (e.g. more
 * sockets than the open-file limit allows) is reported as a remark, and the sweep goes on.
 */
import {
  DEFAULT_FANOUT_OPTIONS,
  expectedFanoutMs,
  fanout,
  type FanoutOptions,
  type FanoutResult,
} from "../fanout.ts";
import type { Chart } from "../support/charts.ts";
import { formatCount, type Report } from "../support/report.ts";
import type { ChartRow } from "../support/results.ts";

export const FANOUT_SECTION = "Fan-out: mutation acknowledged -> last subscriber";

export interface FanoutSweepOptions {
  readonly subscribers: readonly number[];
  readonly updates: number;
  readonly intervalMs: number;
}

export const FULL_FANOUT_SWEEP: FanoutSweepOptions = {
  subscribers: [1_000, 2_000, 5_000, 10_000, 20_000],
  updates: 20,
  intervalMs: DEFAULT_FANOUT_OPTIONS.intervalMs,
};

export const QUICK_FANOUT_SWEEP: FanoutSweepOptions = {
  subscribers: [100, 300],
  updates: 5,
  intervalMs: DEFAULT_FANOUT_OPTIONS.intervalMs,
};

/** One server at one subscriber count: what the chart and the figures need. */
export interface FanoutPoint {
  /** `gateway`, `yoga`, `raw`, or whatever else `fanout.ts` measures. */
  readonly series: string;
  readonly subscribers: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * The one place that knows `fanout()`'s result shape: one point per server measured, latency
 * from the update's origin (acknowledgement or publish) to the last subscriber.
 */
export function fanoutPoints(result: FanoutResult): FanoutPoint[] {
  return result.servers.map((server) => ({
    series: server.server,
    subscribers: server.subscribers,
    p50Ms: server.p50Ms,
    p99Ms: server.p99Ms,
  }));
}

const SERIES_LABEL: Readonly<Record<string, string>> = {
  gateway: "this gateway (graphql-ws)",
  yoga: "plain Yoga pubsub",
  raw: "raw ws broadcast",
  "gateway-sse": "this gateway (SSE)",
  "raw-sse": "raw SSE broadcast",
};

const label = (series: string): string => SERIES_LABEL[series] ?? series;

/** Each measured series and the baselines it is compared with, closest to the wire first. */
const COMPARISONS: readonly (readonly [string, readonly string[]])[] = [
  ["gateway", ["raw", "yoga"]],
  ["gateway-sse", ["raw-sse"]],
];

function runOptions(options: FanoutSweepOptions, subscribers: number): FanoutOptions {
  return {
    ...DEFAULT_FANOUT_OPTIONS,
    subscribers,
    updates: options.updates,
    intervalMs: options.intervalMs,
  };
}

export function expectedFanoutSweepMs(options: FanoutSweepOptions): number {
  return options.subscribers.reduce((sum, n) => sum + expectedFanoutMs(runOptions(options, n)), 0);
}

/** Each measured server's p50 and p99 at one count beside each baseline measured with it. */
function reportPoints(points: readonly FanoutPoint[], report: Report): void {
  for (const [series, baselines] of COMPARISONS) {
    const measured = points.find((point) => point.series === series);
    if (measured === undefined) continue;
    for (const base of baselines) {
      const baseline = points.find((point) => point.series === base);
      if (baseline === undefined) continue;
      for (const [statistic, pick] of [
        ["p50", (point: FanoutPoint) => point.p50Ms],
        ["p99", (point: FanoutPoint) => point.p99Ms],
      ] as const) {
        report.figure({
          section: FANOUT_SECTION,
          label: `${label(series)} vs ${label(base)}, ${formatCount(measured.subscribers)} subscribers, ${statistic}`,
          value: pick(measured),
          unit: "ms",
          better: "lower",
          baseline: { label: label(base), value: pick(baseline) },
          ...(base.startsWith("raw") ? { note: "target <= 1.5x" } : {}),
        });
      }
    }
  }
}

export async function fanoutSweep(options: FanoutSweepOptions, report: Report): Promise<Chart[]> {
  const rows: ChartRow[] = [];
  for (const subscribers of options.subscribers) {
    let points: FanoutPoint[];
    try {
      points = fanoutPoints(await fanout(runOptions(options, subscribers)));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      report.remark(
        FANOUT_SECTION,
        `${formatCount(subscribers)} subscribers not measured: ${message}`,
      );
      continue;
    }
    reportPoints(points, report);
    for (const point of points) {
      const series = label(point.series);
      rows.push(
        { series, x: point.subscribers, y: point.p50Ms, statistic: "p50" },
        { series, x: point.subscribers, y: point.p99Ms, statistic: "p99" },
      );
    }
  }
  report.remark(
    FANOUT_SECTION,
    `subscription { countersGet } over graphql-ws and SSE, ${options.updates} measured updates every ` +
      `${options.intervalMs} ms per server; server, subscribers and backend in separate processes ` +
      "(bench/fanout.ts). Gateway: from the mutation's acknowledgement; baselines: from the publish.",
  );
  return [
    {
      name: "fanout_latency",
      title: "Fan-out: update -> last subscriber, vs subscribers",
      x: { title: "graphql-ws subscribers", log: true },
      y: { title: "ms to the last subscriber" },
      rows,
    },
  ];
}
