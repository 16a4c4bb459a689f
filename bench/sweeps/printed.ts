/**
 * The benchmarks that `run_all.ts` runs as they are, keeping their printed reports for
 * `bench/results.md` (each prints its figures beside its baselines and ratios). The scaling
 * benchmarks (commit throughput, invalidation, subscriptions per connection, fan-out) run as
 * sweeps instead (this folder). Quick mode keeps one small one, so the capture is exercised.
 */
import {
  actionOverhead,
  DEFAULT_ACTION_OVERHEAD_OPTIONS,
  expectedActionOverheadMs,
} from "../action_overhead.ts";
import {
  commitThroughput,
  DEFAULT_COMMIT_THROUGHPUT_OPTIONS,
  expectedCommitThroughputMs,
} from "../commit_throughput.ts";
import {
  DEFAULT_GATEWAY_OVERHEAD_OPTIONS,
  expectedGatewayOverheadMs,
  gatewayOverhead,
} from "../gateway_overhead.ts";
import {
  DEFAULT_HOSTILE_INPUT_OPTIONS,
  expectedHostileInputMs,
  hostileInput,
} from "../hostile_input.ts";
import { DEFAULT_HOT_COUNTER_OPTIONS, expectedHotCounterMs, hotCounter } from "../hot_counter.ts";
import {
  DEFAULT_QUERY_REPEATS_OPTIONS,
  expectedQueryRepeatsMs,
  queryRepeats,
} from "../query_repeats.ts";
import { DEFAULT_RELATIONS_OPTIONS, expectedRelationsMs, runRelations } from "../relations.ts";
import {
  DEFAULT_SCHEMA_DERIVATION_OPTIONS,
  expectedSchemaDerivationMs,
  runSchemaDerivation,
} from "../schema_derivation.ts";
import {
  DEFAULT_SCHEDULER_THROUGHPUT_OPTIONS,
  expectedSchedulerThroughputMs,
  schedulerThroughput,
} from "../scheduler_throughput.ts";
import { DEFAULT_SEARCH_BENCH_OPTIONS, expectedSearchBenchMs, searchBench } from "../search.ts";
import {
  DEFAULT_UPDATE_LATENCY_OPTIONS,
  expectedUpdateLatencyMs,
  updateLatency,
} from "../update_latency.ts";

/** A benchmark run as it is; its printed report goes into results.md under `title`. */
export interface PrintedBenchmark {
  readonly title: string;
  readonly expectedMs: number;
  readonly run: () => Promise<unknown>;
}

function printed<O>(
  title: string,
  run: (options: O) => Promise<unknown>,
  expected: (options: O) => number,
  options: O,
): PrintedBenchmark {
  return { title, expectedMs: expected(options), run: () => run(options) };
}

const FULL_DURABILITY_THROUGHPUT = {
  ...DEFAULT_COMMIT_THROUGHPUT_OPTIONS,
  durabilities: ["full" as const],
};

export const FULL_PRINTED: readonly PrintedBenchmark[] = [
  printed(
    "Commit throughput, synchronous=FULL",
    commitThroughput,
    expectedCommitThroughputMs,
    FULL_DURABILITY_THROUGHPUT,
  ),
  printed("Hot counter", hotCounter, expectedHotCounterMs, DEFAULT_HOT_COUNTER_OPTIONS),
  printed("Update latency", updateLatency, expectedUpdateLatencyMs, DEFAULT_UPDATE_LATENCY_OPTIONS),
  printed(
    "Gateway overhead",
    gatewayOverhead,
    expectedGatewayOverheadMs,
    DEFAULT_GATEWAY_OVERHEAD_OPTIONS,
  ),
  printed("Hostile input", hostileInput, expectedHostileInputMs, DEFAULT_HOSTILE_INPUT_OPTIONS),
  printed(
    "Scheduler throughput",
    schedulerThroughput,
    expectedSchedulerThroughputMs,
    DEFAULT_SCHEDULER_THROUGHPUT_OPTIONS,
  ),
  printed(
    "Action overhead",
    actionOverhead,
    expectedActionOverheadMs,
    DEFAULT_ACTION_OVERHEAD_OPTIONS,
  ),
  printed("Search", searchBench, expectedSearchBenchMs, DEFAULT_SEARCH_BENCH_OPTIONS),
  printed("Query repeats", queryRepeats, expectedQueryRepeatsMs, DEFAULT_QUERY_REPEATS_OPTIONS),
  printed(
    "Relations vs a hand-written join",
    runRelations,
    expectedRelationsMs,
    DEFAULT_RELATIONS_OPTIONS,
  ),
  printed(
    "Schema derivation vs convex codegen",
    runSchemaDerivation,
    expectedSchemaDerivationMs,
    DEFAULT_SCHEMA_DERIVATION_OPTIONS,
  ),
];

export const QUICK_PRINTED: readonly PrintedBenchmark[] = [
  printed("Hot counter", hotCounter, expectedHotCounterMs, {
    ...DEFAULT_HOT_COUNTER_OPTIONS,
    increments: 200,
  }),
];
