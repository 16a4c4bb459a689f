/**
 * Update latency: how long after a commit its new result reaches the subscribers of a query.
 *
 * S subscribers (S = 1 and S = 1,000; each its own sync connection) all subscribe to
 * `counters:get({name: "latency"})`. Then ~50 increments of that counter are sent one after the
 * other through the HTTP API; each waits until every subscriber has the new value. For each
 * increment it takes three instants on one clock (everything runs in this process):
 *
 * - send: just before the HTTP request goes out;
 * - commit: when the committer published the commit (`engine.committer.onPublish`);
 * - receipt, per subscriber: for `raw` subscribers, when the Transition frame carrying the new
 *   value arrived on the socket; for `convex` (the official `ConvexClient`), when its `onUpdate`
 *   callback ran;
 *
 * and prints p50 and p99 of commit -> first subscriber, commit -> last subscriber and
 * send -> last subscriber. With 50 updates, p99 is the slowest one. All subscribers share one
 * live result, so each update should cost one query execution whatever S is (printed as
 * "executions/update").
 *
 * Subscribers, mutator and backend share one event loop. The backend writes all S Transitions
 * (the sessions' updates run in one turn) before any subscriber reads its socket, so
 * commit -> first is about the backend's fan-out time to all S, and last - first is the
 * receiving side of S sockets (and, for `convex`, S clients' bookkeeping). In a deployment
 * (clients elsewhere) the first subscriber would hear sooner.
 *
 * It prints; it asserts nothing about time. A subscriber that misses an update, or receives a
 * wrong value, fails the run (exit code 1).
 *
 *   node cli/run_ts.js bench/update_latency.ts [--subscribers 1,1000] [--updates 50]
 *     [--clients raw,convex] [--durability full|normal]
 */
import { performance } from "node:perf_hooks";
import { convexToJson, type Value } from "convex/values";
import type { Durability } from "../engine/index.ts";
import { createApiCaller, type ApiCaller } from "./support/api_caller.ts";
import { percentile, sleep } from "./support/harness.ts";
import {
  count,
  durability,
  flag,
  listOf,
  oneOf,
  runFromCommandLine,
  type Flags,
} from "./support/options.ts";
import { recordCommits, startInProcessBackend } from "./support/reactivity_backend.ts";
import { formatCount, formatMs, Report } from "./support/report.ts";
import {
  openSubscriber,
  waitUntil,
  type QueryResult,
  type Subscriber,
  type SubscriberKind,
} from "./support/reactivity_subscribers.ts";

export interface UpdateLatencyOptions {
  /** Subscriber counts, one scenario each. @default [1, 1_000] */
  readonly subscribers: readonly number[];
  /** Measured updates per scenario. @default 50 */
  readonly updates: number;
  /** Subscriber kinds, one scenario each (with every count). @default ["raw", "convex"] */
  readonly clients: readonly SubscriberKind[];
  /** @default "full" */
  readonly durability: Durability;
}

export const DEFAULT_UPDATE_LATENCY_OPTIONS: UpdateLatencyOptions = {
  subscribers: [1, 1_000],
  updates: 50,
  clients: ["raw", "convex"],
  durability: "full",
};

const FLAGS: Flags<UpdateLatencyOptions> = {
  subscribers: flag("subscribers", listOf(count)),
  updates: flag("updates", count),
  clients: flag("clients", listOf(oneOf("raw", "convex"))),
  durability: flag("durability", durability),
};

const COUNTER = "latency";
/** Unmeasured updates after subscribing (JIT, first Transitions). */
const WARMUP_UPDATES = 5;
/** Connections opened at once (a burst of 1,000 connects would overflow the listen backlog). */
const CONNECT_BATCH = 100;
/** How long one update may take to reach every subscriber. */
const UPDATE_TIMEOUT_MS = 15_000;

export interface UpdateLatencyResult {
  readonly client: SubscriberKind;
  readonly subscribers: number;
  readonly pass: boolean;
  /** Per update, ms. */
  readonly commitToFirstMs: readonly number[];
  readonly commitToLastMs: readonly number[];
  readonly sendToCommitMs: readonly number[];
  readonly sendToLastMs: readonly number[];
  readonly executionsPerUpdate: number;
}

/** What every subscriber has received: per counter value, who got it and when. */
class Receipts {
  /** value -> receipt instant per subscriber (NaN: not yet). */
  private readonly byValue = new Map<number, { at: Float64Array; count: number }>();
  readonly problems: string[] = [];

  constructor(private readonly subscribers: number) {}

  record(subscriber: number, result: QueryResult, atMs: number): void {
    if (!result.ok) {
      this.problem(`subscriber ${subscriber}: query failed: ${result.errorMessage}`);
      return;
    }
    if (typeof result.value !== "number") {
      this.problem(`subscriber ${subscriber}: expected a number, got ${describe(result.value)}`);
      return;
    }
    const slot = this.slot(result.value);
    if (!Number.isNaN(slot.at[subscriber])) {
      this.problem(`subscriber ${subscriber}: value ${result.value} delivered twice`);
      return;
    }
    slot.at[subscriber] = atMs;
    slot.count++;
  }

  /** How many subscribers have received `value`. */
  count(value: number): number {
    return this.byValue.get(value)?.count ?? 0;
  }

  /** The first and last receipt instants of `value`. */
  span(value: number): { first: number; last: number } {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const at of this.slot(value).at) {
      if (at < first) first = at;
      if (at > last) last = at;
    }
    return { first, last };
  }

  private slot(value: number): { at: Float64Array; count: number } {
    let slot = this.byValue.get(value);
    if (slot === undefined) {
      slot = { at: new Float64Array(this.subscribers).fill(Number.NaN), count: 0 };
      this.byValue.set(value, slot);
    }
    return slot;
  }

  private problem(message: string): void {
    if (this.problems.length < 10) this.problems.push(message);
  }
}

/** A received value, for a problem report. */
function describe(value: Value): string {
  return JSON.stringify(convexToJson(value));
}

async function increment(mutator: ApiCaller, expected: number): Promise<void> {
  const result = await mutator.mutation("counters:increment", { name: COUNTER });
  if (result.status === "error")
    throw new Error(`counters:increment failed: ${result.errorMessage}`);
  if (result.value !== expected) {
    throw new Error(`counters:increment returned ${describe(result.value)}, expected ${expected}`);
  }
}

async function runScenario(
  client: SubscriberKind,
  subscriberCount: number,
  options: UpdateLatencyOptions,
  report: Report,
): Promise<UpdateLatencyResult> {
  await using server = await startInProcessBackend(options.durability);
  const liveQueries = server.backend.engine.liveQueries;
  using commits = recordCommits(server.backend);
  const mutator = createApiCaller("http", server.url);
  const receipts = new Receipts(subscriberCount);
  const subscribers: Subscriber[] = [];
  const failed = (): string | null =>
    subscribers.find((subscriber) => subscriber.failure !== null)?.failure ??
    receipts.problems[0] ??
    null;
  const waitForValue = (value: number): Promise<void> =>
    waitUntil(
      () => receipts.count(value) === subscriberCount || failed() !== null,
      UPDATE_TIMEOUT_MS,
      () =>
        `value ${value} at ${formatCount(receipts.count(value))} of ${formatCount(subscriberCount)} subscribers`,
    );
  try {
    // The counter exists before anyone subscribes: every update is a patch of one document.
    let value = 0;
    await increment(mutator, ++value);
    for (let from = 0; from < subscriberCount; from += CONNECT_BATCH) {
      const batch = Math.min(CONNECT_BATCH, subscriberCount - from);
      const opened = await Promise.all(
        Array.from({ length: batch }, (_, i) =>
          openSubscriber(
            client,
            server.url,
            [{ udfPath: "counters:get", args: { name: COUNTER } }],
            (_query, result, atMs) => receipts.record(from + i, result, atMs),
          ),
        ),
      );
      subscribers.push(...opened);
      await waitUntil(
        () => receipts.count(value) === from + batch || failed() !== null,
        60_000,
        () =>
          `first results (${formatCount(receipts.count(value))} of ${formatCount(from + batch)})`,
      );
    }
    for (let n = 0; n < WARMUP_UPDATES; n++) {
      await increment(mutator, ++value);
      await waitForValue(value);
    }

    const executionsBefore = liveQueries.stats.executions;
    const commitToFirstMs: number[] = [];
    const commitToLastMs: number[] = [];
    const sendToCommitMs: number[] = [];
    const sendToLastMs: number[] = [];
    for (let n = 0; n < options.updates && failed() === null; n++) {
      await sleep(2); // let the previous update's stragglers (socket reads, client callbacks) finish
      const commitsBefore = commits.commits.length;
      const expected = ++value;
      const sentAt = performance.now();
      await increment(mutator, expected);
      await waitForValue(expected);
      const published = commits.commits.slice(commitsBefore);
      const commit = published[0];
      if (published.length !== 1 || commit === undefined) {
        throw new Error(`expected one commit per update, saw ${published.length}`);
      }
      const { first, last } = receipts.span(expected);
      commitToFirstMs.push(first - commit.atMs);
      commitToLastMs.push(last - commit.atMs);
      sendToCommitMs.push(commit.atMs - sentAt);
      sendToLastMs.push(last - sentAt);
    }
    const executions = liveQueries.stats.executions - executionsBefore;
    const problem = failed();
    if (problem !== null) report.problem(`${client} x ${formatCount(subscriberCount)}`, problem);
    return {
      client,
      subscribers: subscriberCount,
      pass: problem === null && commitToLastMs.length === options.updates,
      commitToFirstMs,
      commitToLastMs,
      sendToCommitMs,
      sendToLastMs,
      executionsPerUpdate: executions / Math.max(1, commitToLastMs.length),
    };
  } finally {
    mutator.close();
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
  }
}

/** Runs every (client kind, subscriber count) scenario and prints one table. */
export async function updateLatency(
  options: UpdateLatencyOptions = DEFAULT_UPDATE_LATENCY_OPTIONS,
): Promise<UpdateLatencyResult[]> {
  const report = new Report();
  report.heading(
    `Update latency: commit -> subscribers of counters:get({name}), ${options.updates} updates per scenario ` +
      `(counters:increment over HTTP, one at a time), durability ${options.durability}`,
  );
  const results: UpdateLatencyResult[] = [];
  for (const client of options.clients) {
    for (const subscribers of options.subscribers) {
      results.push(await runScenario(client, subscribers, options, report));
    }
  }
  const ms = (values: readonly number[], p: number): string => formatMs(percentile(values, p));
  report.table(
    [
      "subscribers",
      "client",
      "updates",
      "commit->first p50",
      "p99",
      "commit->last p50",
      "p99",
      "send->commit p50",
      "send->last p50",
      "p99",
      "executions/update",
      "check",
    ],
    results.map((result) => [
      formatCount(result.subscribers),
      result.client,
      formatCount(result.commitToLastMs.length),
      ms(result.commitToFirstMs, 50),
      ms(result.commitToFirstMs, 99),
      ms(result.commitToLastMs, 50),
      ms(result.commitToLastMs, 99),
      ms(result.sendToCommitMs, 50),
      ms(result.sendToLastMs, 50),
      ms(result.sendToLastMs, 99),
      result.executionsPerUpdate.toFixed(2),
      report.check(result.pass),
    ]),
  );
  report.line(
    "(ms; commit = the committer's publish; first/last = the first/last subscriber to receive the new value: " +
      "raw = Transition frame arrived, convex = ConvexClient onUpdate callback ran. One process, one event " +
      "loop: the backend sends every subscriber's Transition before any receipt is read, so commit->first " +
      "is about the backend's fan-out time, and last - first the receiving side.)",
  );
  report.finish();
  return results;
}

/** A generous upper bound of the run time: start-ups, subscribing, and 200 ms per update. */
export function expectedUpdateLatencyMs(options: UpdateLatencyOptions): number {
  const scenarios = options.clients.length * options.subscribers.length;
  const subscribing =
    options.clients.length * options.subscribers.reduce((sum, n) => sum + n * 10, 0);
  return scenarios * (5_000 + (options.updates + WARMUP_UPDATES) * 200) + subscribing;
}

await runFromCommandLine(import.meta.url, {
  name: "update_latency",
  defaults: DEFAULT_UPDATE_LATENCY_OPTIONS,
  flags: FLAGS,
  expectedMs: expectedUpdateLatencyMs,
  run: updateLatency,
});
