/**
 * Per-commit cost against subscriptions per connection, through the official `ConvexClient`.
 *
 * For each size N (default 1,000 and 5,000), 10 `ConvexClient`s share N live queries on distinct
 * keys (`counters:get({name: "spc-<i>"})`, N/10 per client). Then `--mutations` single-key
 * increments go out one after the other through the HTTP API, each on a different key, and each
 * waits until the client subscribed to that key has the new value. Per mutation, on one clock
 * (everything runs in this process, backend included):
 *
 * - commit: when the committer published it (`engine.committer.onPublish`);
 * - ack: when the HTTP caller had the mutation's response;
 * - update: when the subscriber's `onUpdate` callback ran with the new value.
 *
 * It prints p50/p99 of commit -> update and ack -> update (0 when the update came first), and
 * the query executions per mutation (1 expected: only the invalidated query reruns). The sizes
 * take turns in `--rounds` (a fresh backend each), so machine noise spreads over both.
 * `--client raw` uses raw sync sockets instead (receipt = the frame's arrival), which leaves
 * out the official client's own per-Transition work (it walks all its queries).
 * **The target: the largest size's commit -> update p50 within 1.2x of the smallest's.**
 *
 *   node cli/run_ts.js bench/subscriptions_per_connection.ts [--sizes 1000,5000]
 *     [--clients 10] [--mutations 200] [--rounds 2] [--durability full|normal]
 *     [--client convex|raw]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Durability } from "../engine/index.ts";
import { createApiCaller } from "./support/api_caller.ts";
import {
  describeMachine,
  formatCount,
  formatMs,
  formatTable,
  isEntryPoint,
  parseDurability,
  percentile,
  positiveCount,
  startWatchdog,
} from "./support/harness.ts";
import { recordCommits, startInProcessBackend } from "./support/reactivity_backend.ts";
import {
  openSubscriber,
  parseSubscriberKind,
  waitUntil,
  type Subscriber,
  type SubscriberKind,
} from "./support/reactivity_subscribers.ts";

export interface SubscriptionsPerConnectionOptions {
  /** Total live queries, one scenario each. @default [1_000, 5_000] */
  readonly sizes: readonly number[];
  /** ConvexClients sharing them. @default 10 */
  readonly clients: number;
  /** Measured mutations per scenario and round. @default 200 */
  readonly mutations: number;
  /** Rounds; the sizes take turns in each. @default 2 */
  readonly rounds: number;
  /** @default "normal" */
  readonly durability: Durability;
  /** `convex` (the official ConvexClient, as a user sees it) or `raw` sockets. @default "convex" */
  readonly client: SubscriberKind;
}

export const DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS: SubscriptionsPerConnectionOptions = {
  sizes: [1_000, 5_000],
  clients: 10,
  mutations: 200,
  rounds: 2,
  durability: "normal",
  client: "convex",
};

/** The target ratio of the largest size's p50 to the smallest's. */
export const SCALING_TARGET = 1.2;

const log = (line = ""): void => void process.stdout.write(`${line}\n`);

interface Samples {
  readonly commitToUpdate: number[];
  readonly ackToUpdate: number[];
  executions: number;
  mutations: number;
}

/** One scenario: N queries on `clients` ConvexClients, `mutations` increments measured. */
async function scenario(
  size: number,
  options: SubscriptionsPerConnectionOptions,
  into: Samples,
): Promise<void> {
  await using server = await startInProcessBackend(options.durability);
  using commits = recordCommits(server.backend);
  const liveQueries = server.backend.engine.liveQueries;
  const updatedAt = new Float64Array(size);
  const value = new Float64Array(size).fill(-1);
  let firsts = 0;
  const subscribers: Subscriber[] = [];
  const caller = createApiCaller("http", server.url);
  try {
    const perClient = Math.ceil(size / options.clients);
    for (let c = 0; c < options.clients; c++) {
      const keys: number[] = [];
      for (let k = c * perClient; k < Math.min(size, (c + 1) * perClient); k++) keys.push(k);
      const specs = keys.map((k) => ({ udfPath: "counters:get", args: { name: `spc-${k}` } }));
      subscribers.push(
        await openSubscriber(options.client, server.url, specs, (query, result, atMs) => {
          const key = keys[query] as number;
          if (value[key] === -1) firsts++;
          value[key] = result.ok ? Number(result.value) : -2;
          updatedAt[key] = atMs;
        }),
      );
    }
    await waitUntil(
      () => firsts >= size,
      120_000,
      () => `first results (${firsts} of ${size})`,
    );
    const executionsBefore = liveQueries.stats.executions;
    // Every (size / mutations)-th key, so the keys spread over every client.
    const step = Math.max(1, Math.floor(size / options.mutations));
    for (let m = 0; m < options.mutations; m++) {
      const key = (m * step) % size;
      const commitCount = commits.commits.length;
      const result = await caller.mutation("counters:increment", { name: `spc-${key}` });
      const ackMs = performance.now();
      if (result.status !== "success") throw new Error(`mutation failed: ${result.errorMessage}`);
      await waitUntil(
        () => value[key] === 1,
        10_000,
        () => `the update of spc-${key}`,
      );
      const commit = commits.commits[commitCount];
      if (commit === undefined) throw new Error("the commit was not recorded");
      into.commitToUpdate.push((updatedAt[key] as number) - commit.atMs);
      into.ackToUpdate.push(Math.max(0, (updatedAt[key] as number) - ackMs));
    }
    into.executions += liveQueries.stats.executions - executionsBefore;
    into.mutations += options.mutations;
    const failure = subscribers.find((s) => s.failure !== null)?.failure;
    if (failure !== undefined && failure !== null) throw new Error(failure);
  } finally {
    caller.close();
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
  }
}

/** Runs every size in every round and prints the table and the ratio. */
export async function subscriptionsPerConnection(
  options: SubscriptionsPerConnectionOptions = DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS,
): Promise<Map<number, Samples>> {
  log(
    `== Subscriptions per connection: ${options.sizes.map(formatCount).join(" vs ")} live queries ` +
      `on ${options.clients} ${options.client === "convex" ? "ConvexClients" : "raw sync sockets"}, ${options.mutations} single-key mutations x ` +
      `${options.rounds} rounds, durability ${options.durability} ==`,
  );
  log(describeMachine());
  const bySize = new Map<number, Samples>(
    options.sizes.map((size) => [
      size,
      { commitToUpdate: [], ackToUpdate: [], executions: 0, mutations: 0 },
    ]),
  );
  for (let round = 0; round < options.rounds; round++) {
    for (const size of options.sizes) await scenario(size, options, bySize.get(size) as Samples);
  }
  const rows = [...bySize].map(([size, s]) => [
    formatCount(size),
    formatCount(size / options.clients),
    formatMs(percentile(s.commitToUpdate, 50)),
    formatMs(percentile(s.commitToUpdate, 99)),
    formatMs(percentile(s.ackToUpdate, 50)),
    formatMs(percentile(s.ackToUpdate, 99)),
    (s.executions / s.mutations).toFixed(2),
  ]);
  log();
  log(
    formatTable(
      [
        "live queries",
        "per client",
        "commit->update p50 ms",
        "p99 ms",
        "ack->update p50 ms",
        "p99 ms",
        "executions/mutation",
      ],
      rows,
    ),
  );
  const smallest = bySize.get(options.sizes[0] as number) as Samples;
  const largest = bySize.get(options.sizes[options.sizes.length - 1] as number) as Samples;
  const ratio = percentile(largest.commitToUpdate, 50) / percentile(smallest.commitToUpdate, 50);
  log();
  log(
    `commit->update p50 ratio ${options.sizes.at(-1)}/${options.sizes[0]}: ${ratio.toFixed(2)}x ` +
      `(target: within ${SCALING_TARGET}x: ${ratio <= SCALING_TARGET ? "met" : "NOT met"})`,
  );
  return bySize;
}

function parseOptions(argv: readonly string[]): SubscriptionsPerConnectionOptions {
  const defaults = DEFAULT_SUBSCRIPTIONS_PER_CONNECTION_OPTIONS;
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sizes: { type: "string" },
      clients: { type: "string" },
      mutations: { type: "string" },
      rounds: { type: "string" },
      durability: { type: "string" },
      client: { type: "string" },
    },
    strict: true,
  });
  return {
    sizes:
      values.sizes === undefined
        ? defaults.sizes
        : values.sizes.split(",").map((text) => positiveCount("sizes", text, 0)),
    clients: positiveCount("clients", values.clients, defaults.clients),
    mutations: positiveCount("mutations", values.mutations, defaults.mutations),
    rounds: positiveCount("rounds", values.rounds, defaults.rounds),
    durability: parseDurability(values.durability, defaults.durability),
    client: values.client === undefined ? defaults.client : parseSubscriberKind(values.client),
  };
}

/** A generous bound: 5 ms a subscription, 50 ms a mutation, 5 s a backend. */
export function expectedSubscriptionsPerConnectionMs(
  options: SubscriptionsPerConnectionOptions,
): number {
  const perRound = options.sizes.reduce(
    (sum, size) => sum + 5_000 + size * 5 + options.mutations * 50,
    0,
  );
  return perRound * options.rounds;
}

if (isEntryPoint(import.meta.url)) {
  const options = parseOptions(process.argv.slice(2));
  const stop = startWatchdog(
    expectedSubscriptionsPerConnectionMs(options) * 2,
    "subscriptions_per_connection",
  );
  await subscriptionsPerConnection(options);
  stop();
}
