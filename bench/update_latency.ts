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
import {
  recordCommits,
  startInProcessBackend,
  type StampedCommit,
} from "./support/reactivity_backend.ts";
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

/** One scenario's clients, and what its subscribers have received. */
interface Scenario {
  readonly client: SubscriberKind;
  readonly subscriberCount: number;
  readonly url: string;
  readonly mutator: ApiCaller;
  readonly subscribers: Subscriber[];
  readonly receipts: Receipts;
}

/** The latencies of the measured updates, one entry per update, ms. */
interface Latencies {
  readonly commitToFirstMs: number[];
  readonly commitToLastMs: number[];
  readonly sendToCommitMs: number[];
  readonly sendToLastMs: number[];
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
  const scenario: Scenario = {
    client,
    subscriberCount,
    url: server.url,
    mutator: createApiCaller("http", server.url),
    subscribers: [],
    receipts: new Receipts(subscriberCount),
  };
  try {
    // The counter exists before anyone subscribes: every update is a patch of one document.
    await increment(scenario.mutator, 1);
    await subscribeAll(scenario, 1);
    const warmedUp = await warmUp(scenario, 1);
    const executionsBefore = liveQueries.stats.executions;
    const latencies = await measureUpdates(scenario, commits.commits, warmedUp, options.updates);
    const executions = liveQueries.stats.executions - executionsBefore;
    const problem = failure(scenario);
    if (problem !== null) report.problem(`${client} x ${formatCount(subscriberCount)}`, problem);
    return {
      client,
      subscribers: subscriberCount,
      pass: problem === null && latencies.commitToLastMs.length === options.updates,
      ...latencies,
      executionsPerUpdate: executions / Math.max(1, latencies.commitToLastMs.length),
    };
  } finally {
    scenario.mutator.close();
    await Promise.all(scenario.subscribers.map((subscriber) => subscriber.close()));
  }
}

/** The first thing that went wrong: a subscriber's failure, else a wrong receipt; or null. */
function failure(scenario: Scenario): string | null {
  return (
    scenario.subscribers.find((subscriber) => subscriber.failure !== null)?.failure ??
    scenario.receipts.problems[0] ??
    null
  );
}

/** Resolves once every subscriber has `value` (or something went wrong). */
function waitForValue(scenario: Scenario, value: number): Promise<void> {
  const { receipts, subscriberCount } = scenario;
  return waitUntil(
    () => receipts.count(value) === subscriberCount || failure(scenario) !== null,
    UPDATE_TIMEOUT_MS,
    () =>
      `value ${value} at ${formatCount(receipts.count(value))} of ${formatCount(subscriberCount)} subscribers`,
  );
}

/**
 * Opens the subscribers `CONNECT_BATCH` at a time, each batch waiting for its first results
 * (the counter at `value`).
 */
async function subscribeAll(scenario: Scenario, value: number): Promise<void> {
  const { receipts, subscriberCount } = scenario;
  for (let from = 0; from < subscriberCount; from += CONNECT_BATCH) {
    const batch = Math.min(CONNECT_BATCH, subscriberCount - from);
    const opened = await Promise.all(
      Array.from({ length: batch }, (_, i) =>
        openSubscriber(
          scenario.client,
          scenario.url,
          [{ udfPath: "counters:get", args: { name: COUNTER } }],
          (_query, result, atMs) => receipts.record(from + i, result, atMs),
        ),
      ),
    );
    scenario.subscribers.push(...opened);
    await waitUntil(
      () => receipts.count(value) === from + batch || failure(scenario) !== null,
      60_000,
      () => `first results (${formatCount(receipts.count(value))} of ${formatCount(from + batch)})`,
    );
  }
}

/** `WARMUP_UPDATES` unmeasured updates after `value`; returns the counter's value after them. */
async function warmUp(scenario: Scenario, value: number): Promise<number> {
  let current = value;
  for (let n = 0; n < WARMUP_UPDATES; n++) {
    await increment(scenario.mutator, ++current);
    await waitForValue(scenario, current);
  }
  return current;
}

/**
 * Up to `updates` increments after `value`, one at a time, each timed from send and from its
 * commit (the one commit it publishes) to its first and last receipt; stops at the first failure.
 */
async function measureUpdates(
  scenario: Scenario,
  commits: readonly StampedCommit[],
  value: number,
  updates: number,
): Promise<Latencies> {
  const latencies: Latencies = {
    commitToFirstMs: [],
    commitToLastMs: [],
    sendToCommitMs: [],
    sendToLastMs: [],
  };
  for (let n = 0; n < updates && failure(scenario) === null; n++) {
    await sleep(2); // let the previous update's stragglers (socket reads, client callbacks) finish
    const commitsBefore = commits.length;
    const expected = value + n + 1;
    const sentAt = performance.now();
    await increment(scenario.mutator, expected);
    await waitForValue(scenario, expected);
    const published = commits.slice(commitsBefore);
    const commit = published[0];
    if (published.length !== 1 || commit === undefined) {
      throw new Error(`expected one commit per update, saw ${published.length}`);
    }
    const { first, last } = scenario.receipts.span(expected);
    latencies.commitToFirstMs.push(first - commit.atMs);
    latencies.commitToLastMs.push(last - commit.atMs);
    latencies.sendToCommitMs.push(commit.atMs - sentAt);
    latencies.sendToLastMs.push(last - sentAt);
  }
  return latencies;
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
