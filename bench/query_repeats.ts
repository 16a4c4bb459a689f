/**
 * Repeated direct `/api/query` calls: the shared query cache against executing every time.
 *
 * The example app with `--orders` orders on table 2; then `orders:getOrdersByTable({table: 2})`
 * is called `--calls` times, one after the other, through `POST /api/query` (`node:http`,
 * keep-alive), with no commit in between: the same function, arguments and (anonymous)
 * identity at an unchanged timestamp. Two backends, taking turns in `--rounds`: one with the
 * cache (`httpQueryCache: true`, the default: after the first call every answer comes from the
 * cache) and one without (`httpQueryCache: false`: every call executes, as before the cache).
 * Prints p50/p99 latency, calls per second and query executions per call for each. Everything
 * runs in this process (client and backend share one event loop).
 *
 *   node cli/run_ts.js bench/query_repeats.ts [--calls 2000] [--orders 20] [--rounds 3]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createApiCaller } from "./support/api_caller.ts";
import {
  describeMachine,
  formatCount,
  formatMs,
  formatTable,
  isEntryPoint,
  median,
  percentile,
  positiveCount,
  startWatchdog,
} from "./support/harness.ts";
import { startInProcessBackend } from "./support/reactivity_backend.ts";

export interface QueryRepeatsOptions {
  /** Calls per backend and round. @default 2_000 */
  readonly calls: number;
  /** Orders the query returns. @default 20 */
  readonly orders: number;
  /** @default 3 */
  readonly rounds: number;
}

export const DEFAULT_QUERY_REPEATS_OPTIONS: QueryRepeatsOptions = {
  calls: 2_000,
  orders: 20,
  rounds: 3,
};

const log = (line = ""): void => void process.stdout.write(`${line}\n`);

interface Run {
  readonly latenciesMs: number[];
  readonly perSecond: number;
  readonly executionsPerCall: number;
}

async function run(cached: boolean, options: QueryRepeatsOptions): Promise<Run> {
  await using server = await startInProcessBackend("normal", { httpQueryCache: cached });
  const caller = createApiCaller("http", server.url);
  try {
    for (let i = 0; i < options.orders; i++) {
      const placed = await caller.mutation("orders:placeOrder", { dish: `dish ${i}`, table: 2 });
      if (placed.status !== "success") throw new Error(placed.errorMessage);
    }
    const executor = server.backend.engine.executor.stats;
    const before = executor.queries;
    const latenciesMs: number[] = [];
    const started = performance.now();
    for (let i = 0; i < options.calls; i++) {
      const start = performance.now();
      const result = await caller.query("orders:getOrdersByTable", { table: 2 });
      latenciesMs.push(performance.now() - start);
      if (result.status !== "success") throw new Error(result.errorMessage);
      if (!Array.isArray(result.value) || result.value.length !== options.orders)
        throw new Error("wrong result");
    }
    const elapsedMs = performance.now() - started;
    return {
      latenciesMs,
      perSecond: (options.calls * 1000) / elapsedMs,
      executionsPerCall: (executor.queries - before) / options.calls,
    };
  } finally {
    caller.close();
  }
}

/** Runs both backends in turns and prints the comparison. */
export async function queryRepeats(
  options: QueryRepeatsOptions = DEFAULT_QUERY_REPEATS_OPTIONS,
): Promise<void> {
  log(
    `== /api/query repeats: orders:getOrdersByTable({table: 2}) (${options.orders} orders), ` +
      `${formatCount(options.calls)} sequential calls x ${options.rounds} rounds, cache vs none ==`,
  );
  log(describeMachine());
  const runs = new Map<string, Run[]>([
    ["no cache (executes every call)", []],
    ["shared query cache", []],
  ]);
  for (let round = 0; round < options.rounds; round++) {
    runs.get("no cache (executes every call)")?.push(await run(false, options));
    runs.get("shared query cache")?.push(await run(true, options));
  }
  const rows = [...runs].map(([name, results]) => {
    const latencies = results.flatMap((result) => result.latenciesMs);
    return {
      name,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perSecond: median(results.map((result) => result.perSecond)),
      executions: median(results.map((result) => result.executionsPerCall)),
    };
  });
  log();
  log(
    formatTable(
      ["backend", "p50 ms", "p99 ms", "calls/s (median)", "executions/call"],
      rows.map((row) => [
        row.name,
        formatMs(row.p50),
        formatMs(row.p99),
        formatCount(row.perSecond),
        row.executions.toFixed(3),
      ]),
    ),
  );
  const [baseline, cached] = rows;
  if (baseline !== undefined && cached !== undefined) {
    log();
    log(
      `cache / no cache: p50 ${(cached.p50 / baseline.p50).toFixed(2)}x, calls/s ` +
        `${(cached.perSecond / baseline.perSecond).toFixed(2)}x`,
    );
  }
}

function parseOptions(argv: readonly string[]): QueryRepeatsOptions {
  const defaults = DEFAULT_QUERY_REPEATS_OPTIONS;
  const { values } = parseArgs({
    args: [...argv],
    options: {
      calls: { type: "string" },
      orders: { type: "string" },
      rounds: { type: "string" },
    },
    strict: true,
  });
  return {
    calls: positiveCount("calls", values.calls, defaults.calls),
    orders: positiveCount("orders", values.orders, defaults.orders),
    rounds: positiveCount("rounds", values.rounds, defaults.rounds),
  };
}

/** A generous bound: 5 s a backend, 5 ms a call. */
export function expectedQueryRepeatsMs(options: QueryRepeatsOptions): number {
  return options.rounds * 2 * (5_000 + options.calls * 5 + options.orders * 20);
}

if (isEntryPoint(import.meta.url)) {
  const options = parseOptions(process.argv.slice(2));
  const stop = startWatchdog(expectedQueryRepeatsMs(options) * 2, "query_repeats");
  await queryRepeats(options);
  stop();
}
