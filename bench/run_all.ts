/**
 * `npm run bench`: the commit-throughput benchmark, then the hot-counter benchmark, with their
 * default options (about 1.5 minutes in all). See `bench/README.md`.
 */
import {
  commitThroughput,
  DEFAULT_COMMIT_THROUGHPUT_OPTIONS,
  expectedCommitThroughputMs,
} from "./commit_throughput.ts";
import { DEFAULT_HOT_COUNTER_OPTIONS, expectedHotCounterMs, hotCounter } from "./hot_counter.ts";
import { startWatchdog } from "./support/harness.ts";

const stopWatchdog = startWatchdog(
  2 *
    (expectedCommitThroughputMs(DEFAULT_COMMIT_THROUGHPUT_OPTIONS) +
      expectedHotCounterMs(DEFAULT_HOT_COUNTER_OPTIONS)),
  "bench/run_all",
);
await commitThroughput(DEFAULT_COMMIT_THROUGHPUT_OPTIONS);
await hotCounter(DEFAULT_HOT_COUNTER_OPTIONS);
stopWatchdog();
