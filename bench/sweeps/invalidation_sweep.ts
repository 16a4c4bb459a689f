/**
 * Per-commit invalidation cost against live queries, two ways:
 *
 * - in process (`invalidation.ts` part 2): ns per commit for `SubscriptionIndex.invalidated()`
 *   with 1k..100k registered read sets, beside a linear scan of them all (the baseline);
 *   `invalidation.ts` part 1 (precision end to end) runs first with its own sizes;
 * - end to end (`subscriptions_per_connection.ts`): commit -> update latency of one invalidated
 *   query while 10 clients hold N live queries, beside the same at the smallest N.
 */
import {
  DEFAULT_INVALIDATION_OPTIONS,
  expectedInvalidationMs,
  invalidation,
  type InvalidationOptions,
} from "../invalidation.ts";
import {
  DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS,
  expectedSubscriptionsPerConnectionMs,
  subscriptionsPerConnection,
  type SubscriptionsPerConnectionOptions,
} from "../subscriptions_per_connection.ts";
import type { Chart } from "../support/charts.ts";
import { percentile } from "../support/harness.ts";
import { formatCount, type Report } from "../support/report.ts";
import type { ChartRow } from "../support/results.ts";
import type { SubscriberKind } from "../support/reactivity_subscribers.ts";

export const INDEX_SECTION = "Invalidation cost per commit vs live queries";
export const LATENCY_SECTION = "Update latency vs live queries on 10 connections";

export interface InvalidationSweepOptions {
  readonly invalidation: InvalidationOptions;
  readonly perConnection: SubscriptionsPerConnectionOptions;
  /** The subscribers of the end-to-end sweep, one series each. */
  readonly clients: readonly SubscriberKind[];
}

export const FULL_INVALIDATION_SWEEP: InvalidationSweepOptions = {
  invalidation: { ...DEFAULT_INVALIDATION_OPTIONS, sizes: [1_000, 3_000, 10_000, 30_000, 100_000] },
  perConnection: {
    ...DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS,
    sizes: [1_000, 2_000, 5_000, 10_000],
    mutations: 100,
    rounds: 1,
  },
  clients: ["convex", "raw"],
};

export const QUICK_INVALIDATION_SWEEP: InvalidationSweepOptions = {
  invalidation: {
    ...DEFAULT_INVALIDATION_OPTIONS,
    subscriptions: 200,
    connections: 2,
    mutations: 20,
    sizes: [1_000, 10_000],
    commits: 2_000,
  },
  perConnection: {
    ...DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS,
    sizes: [100, 500],
    mutations: 20,
    rounds: 1,
  },
  clients: ["convex"],
};

const CLIENT_LABEL: Record<SubscriberKind, string> = {
  convex: "ConvexClient",
  raw: "raw sync socket",
};

export function expectedInvalidationSweepMs(options: InvalidationSweepOptions): number {
  const perClient = expectedSubscriptionsPerConnectionMs(options.perConnection);
  return expectedInvalidationMs(options.invalidation) + options.clients.length * perClient;
}

/** `invalidation.ts`: the index's ns per commit beside a linear scan, at each size. */
async function indexCost(options: InvalidationOptions, report: Report): Promise<Chart> {
  const { precision, cost } = await invalidation(options);
  const rows: ChartRow[] = [];
  for (const row of cost) {
    report.figure({
      section: INDEX_SECTION,
      label: `SubscriptionIndex, ${formatCount(row.size)} read sets, median`,
      value: row.indexMedianNs,
      unit: "ns/commit",
      better: "lower",
      baseline: { label: "linear scan", value: row.scanMedianNs },
      ...(row.correct ? {} : { note: "WRONG: did not find exactly the one read set" }),
    });
    rows.push(
      { series: "SubscriptionIndex", x: row.size, y: row.indexMedianNs, statistic: "p50" },
      { series: "SubscriptionIndex", x: row.size, y: row.indexP99Ns, statistic: "p99" },
      { series: "linear scan (baseline)", x: row.size, y: row.scanMedianNs, statistic: "p50" },
      { series: "linear scan (baseline)", x: row.size, y: row.scanP99Ns, statistic: "p99" },
    );
  }
  const [smallest, largest] = [cost[0], cost.at(-1)];
  if (smallest !== undefined && largest !== undefined && largest !== smallest) {
    report.figure({
      section: INDEX_SECTION,
      label: `SubscriptionIndex median at ${formatCount(largest.size)} read sets`,
      value: largest.indexMedianNs,
      unit: "ns/commit",
      better: "lower",
      baseline: { label: `at ${formatCount(smallest.size)}`, value: smallest.indexMedianNs },
      note: "target <= 1.5x (flat)",
    });
  }
  report.remark(
    INDEX_SECTION,
    `precision end to end (${formatCount(options.subscriptions)} live queries, ` +
      `${formatCount(options.mutations)} single-key mutations): ${precision.pass ? "PASS" : "FAIL"}, ` +
      `${formatCount(precision.executions)} re-executions, ${formatCount(precision.deliveries)} ` +
      `deliveries, ${formatCount(precision.spurious)} spurious`,
  );
  return {
    name: "invalidation_cost",
    title: "Finding what one commit invalidates, vs registered live queries",
    x: { title: "registered read sets (live queries)", log: true },
    y: { title: "ns per commit", log: true },
    rows,
  };
}

/** `subscriptions_per_connection.ts` for each client kind: commit -> update p50/p99 per size. */
async function updateLatency(options: InvalidationSweepOptions, report: Report): Promise<Chart> {
  const rows: ChartRow[] = [];
  for (const client of options.clients) {
    const bySize = await subscriptionsPerConnection({ ...options.perConnection, client });
    const series = `${CLIENT_LABEL[client]} x${options.perConnection.clients}`;
    const [smallestSize] = options.perConnection.sizes;
    const smallest = smallestSize === undefined ? undefined : bySize.get(smallestSize);
    for (const [size, samples] of bySize) {
      const p50 = percentile(samples.commitToUpdate, 50);
      rows.push(
        { series, x: size, y: p50, statistic: "p50" },
        { series, x: size, y: percentile(samples.commitToUpdate, 99), statistic: "p99" },
      );
      if (smallest === undefined || size === smallestSize) continue;
      report.figure({
        section: LATENCY_SECTION,
        label: `${CLIENT_LABEL[client]}, ${formatCount(size)} live queries, commit->update p50`,
        value: p50,
        unit: "ms",
        better: "lower",
        baseline: {
          label: `${formatCount(smallestSize ?? 0)} live queries`,
          value: percentile(smallest.commitToUpdate, 50),
        },
        note: "target <= 1.2x",
      });
    }
  }
  return {
    name: "update_latency_vs_queries",
    title: `Commit -> update of one invalidated query, vs live queries on ${options.perConnection.clients} connections`,
    x: { title: "live queries in all", log: true },
    y: { title: "commit -> update, ms" },
    rows,
  };
}

export async function invalidationSweep(
  options: InvalidationSweepOptions,
  report: Report,
): Promise<Chart[]> {
  return [await indexCost(options.invalidation, report), await updateLatency(options, report)];
}
