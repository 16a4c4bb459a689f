/**
 * `npm run bench`: every benchmark in sequence with its default options (about 13 minutes in all):
 * engine commit throughput and the hot counter (issue 2), reactivity precision and latency
 * (issue 3), gateway overhead and fan-out (issue 4), scheduled-job throughput and action overhead (issue 10), hostile
 * input (issue 16), text and vector search (issue 11). See `bench/README.md`.
 */
import {
  actionOverhead,
  DEFAULT_ACTION_OVERHEAD_OPTIONS,
  expectedActionOverheadMs,
} from "./action_overhead.ts";
import {
  commitThroughput,
  DEFAULT_COMMIT_THROUGHPUT_OPTIONS,
  expectedCommitThroughputMs,
} from "./commit_throughput.ts";
import { DEFAULT_FANOUT_OPTIONS, expectedFanoutMs, fanout } from "./fanout.ts";
import {
  DEFAULT_GATEWAY_OVERHEAD_OPTIONS,
  expectedGatewayOverheadMs,
  gatewayOverhead,
} from "./gateway_overhead.ts";
import { DEFAULT_HOT_COUNTER_OPTIONS, expectedHotCounterMs, hotCounter } from "./hot_counter.ts";
import {
  DEFAULT_HOSTILE_INPUT_OPTIONS,
  expectedHostileInputMs,
  hostileInput,
} from "./hostile_input.ts";
import {
  DEFAULT_INVALIDATION_OPTIONS,
  expectedInvalidationMs,
  invalidation,
} from "./invalidation.ts";
import {
  DEFAULT_SCHEDULER_THROUGHPUT_OPTIONS,
  expectedSchedulerThroughputMs,
  schedulerThroughput,
} from "./scheduler_throughput.ts";
import { DEFAULT_SEARCH_BENCH_OPTIONS, expectedSearchBenchMs, searchBench } from "./search.ts";
import {
  DEFAULT_QUERY_REPEATS_OPTIONS,
  expectedQueryRepeatsMs,
  queryRepeats,
} from "./query_repeats.ts";
import {
  DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS,
  expectedSubscriptionsPerConnectionMs,
  subscriptionsPerConnection,
} from "./subscriptions_per_connection.ts";
import { startWatchdog } from "./support/options.ts";
import {
  DEFAULT_UPDATE_LATENCY_OPTIONS,
  expectedUpdateLatencyMs,
  updateLatency,
} from "./update_latency.ts";

const stopWatchdog = startWatchdog(
  2 *
    (expectedCommitThroughputMs(DEFAULT_COMMIT_THROUGHPUT_OPTIONS) +
      expectedHotCounterMs(DEFAULT_HOT_COUNTER_OPTIONS) +
      expectedInvalidationMs(DEFAULT_INVALIDATION_OPTIONS) +
      expectedUpdateLatencyMs(DEFAULT_UPDATE_LATENCY_OPTIONS) +
      expectedGatewayOverheadMs(DEFAULT_GATEWAY_OVERHEAD_OPTIONS) +
      expectedFanoutMs(DEFAULT_FANOUT_OPTIONS) +
      expectedHostileInputMs(DEFAULT_HOSTILE_INPUT_OPTIONS) +
      expectedSchedulerThroughputMs(DEFAULT_SCHEDULER_THROUGHPUT_OPTIONS) +
      expectedActionOverheadMs(DEFAULT_ACTION_OVERHEAD_OPTIONS) +
      expectedSearchBenchMs(DEFAULT_SEARCH_BENCH_OPTIONS) +
      expectedSubscriptionsPerConnectionMs(DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS) +
      expectedQueryRepeatsMs(DEFAULT_QUERY_REPEATS_OPTIONS)),
  "bench/run_all",
);
await commitThroughput(DEFAULT_COMMIT_THROUGHPUT_OPTIONS);
await hotCounter(DEFAULT_HOT_COUNTER_OPTIONS);
await invalidation(DEFAULT_INVALIDATION_OPTIONS);
await updateLatency(DEFAULT_UPDATE_LATENCY_OPTIONS);
await gatewayOverhead(DEFAULT_GATEWAY_OVERHEAD_OPTIONS);
await fanout(DEFAULT_FANOUT_OPTIONS);
await hostileInput(DEFAULT_HOSTILE_INPUT_OPTIONS);
await schedulerThroughput(DEFAULT_SCHEDULER_THROUGHPUT_OPTIONS);
await actionOverhead(DEFAULT_ACTION_OVERHEAD_OPTIONS);
await searchBench(DEFAULT_SEARCH_BENCH_OPTIONS);
await subscriptionsPerConnection(DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS);
await queryRepeats(DEFAULT_QUERY_REPEATS_OPTIONS);
stopWatchdog();
