/**
 * Fan-out: one live query, many subscribers. N graphql-ws subscribers (default 10,000) of
 * `subscription { countersGet(name: "hot") }` on the gateway, and a mutation
 * (`counters:increment`, `ConvexHttpClient` against the backend) every 100 ms, 20 times. For each
 * mutation: the time from its acknowledgement until the LAST subscriber has the new value, p50
 * and p99 over the mutations. A live query delivers the latest result, not every one: when a
 * newer value is already there, the gateway may skip one, and a subscriber that receives a newer
 * value is up to date for the skipped one from that instant (the values are consecutive).
 *
 * Baseline, in the same run (after the gateway, with the same schedule): a plain graphql-yoga
 * server (`support/gateway_plain_yoga.ts`) publishing the same payload through its own
 * `createPubSub` to N graphql-ws subscribers every 100 ms; from publish to the last receipt.
 * **The target: the gateway within 1.25x of plain Yoga** (ratio of the p50s). The two run one
 * after the other, not at once: on a 2-core machine each fan-out would take CPU from the other.
 *
 * Processes (so that each number belongs to one process): the backend (the example app) in a
 * child (`support/engine_process.ts`), the server under test in another
 * (`support/gateway_server_child.ts`, with `--expose-gc`), and the N subscribers (raw `ws`
 * sockets speaking graphql-transport-ws, `support/gateway_subscribers_child.ts`) in a third. This
 * process sends the mutations. Instants are taken on the system's monotonic clock, which every
 * process shares. A value counts as received when its `next` frame reached the subscriber's
 * socket in the subscribers' process; with 10,000 subscribers, that process's turn through
 * 10,000 frames is part of every number, for the gateway and for Yoga alike.
 *
 * Also printed: how many measured values reached every / some / no subscriber as such, the
 * server's CPU per update and per message, its memory per idle subscriber (heap and RSS of the
 * server process after a full GC, after subscribing minus before, divided by N), and after every
 * subscriber left, what is still held (heap growth; for the gateway, its live operations and
 * upstream subscriptions, which must fall back to 0).
 *
 * Problems (a subscriber saw a repeated or lower value, an error or a close; a value never
 * reached everyone) are printed and set exit code 1. Timing is printed, never asserted.
 *
 *   node cli/run_ts.js bench/fanout.ts [--subscribers 10000] [--updates 20] [--interval 100]
 *     [--servers gateway,yoga]
 *   BENCH_FANOUT_SUBSCRIBERS=1000 node cli/run_ts.js bench/fanout.ts
 */
import fs from "node:fs";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { api } from "../convex/_generated/api.js";
import { startEngineProcess } from "./support/engine_process.ts";
import {
  startServerProcess,
  startSubscriberFleet,
  type Delivery,
  type ServerProcess,
  type SubscriberFleet,
} from "./support/gateway_processes.ts";
import { monotonicMs, type ServerKind, type ServerStats } from "./support/gateway_protocol.ts";
import { percentile, sleep, tempDir } from "./support/harness.ts";
import { count, flag, listOf, oneOf, runFromCommandLine, type Flags } from "./support/options.ts";
import { formatCount, formatMs, formatRatio, Report, verdict } from "./support/report.ts";

export interface FanoutOptions {
  /** Subscribers per server. @default 10_000 (or `BENCH_FANOUT_SUBSCRIBERS`) */
  readonly subscribers: number;
  /** Measured updates per server. @default 20 */
  readonly updates: number;
  /** Time between two updates. @default 100 // ms */
  readonly intervalMs: number;
  /** The servers, measured in this order. @default ["gateway", "yoga"] */
  readonly servers: readonly ServerKind[];
}

/** `BENCH_FANOUT_SUBSCRIBERS`, when set: the default subscriber count. */
function subscribersFromEnv(): number | undefined {
  const text = process.env["BENCH_FANOUT_SUBSCRIBERS"];
  return text === undefined || text === "" ? undefined : count(text, "BENCH_FANOUT_SUBSCRIBERS");
}

export const DEFAULT_FANOUT_OPTIONS: FanoutOptions = {
  subscribers: subscribersFromEnv() ?? 10_000,
  updates: 20,
  intervalMs: 100,
  servers: ["gateway", "yoga"],
};

const FLAGS: Flags<FanoutOptions> = {
  subscribers: flag("subscribers", count),
  updates: flag("updates", count),
  intervalMs: flag("interval", count),
  servers: flag("servers", listOf(oneOf("gateway", "yoga"))),
};

const COUNTER = "hot";
const SUBSCRIPTION = `subscription { countersGet(name: "${COUNTER}") }`;
const INCREMENT = api.counters.increment;
/** Unmeasured updates after subscribing, each awaited until every subscriber has it. */
const WARMUP_UPDATES = 5;
/** Sockets opened at once (the listen backlog is 511). */
const CONNECT_BATCH = 250;
/** File descriptors each process needs besides one per socket. */
const SPARE_FDS = 256;

/** One measured update: when it was sent, and the instant its latency counts from. */
interface Update {
  readonly value: number;
  readonly sentMs: number;
  /** Gateway: the mutation's acknowledgement; Yoga: the publish. */
  readonly originMs: number;
}

export interface FanoutResult {
  readonly server: ServerKind;
  readonly subscribers: number;
  readonly connectMs: number;
  readonly updates: number;
  /** Per measured update once every subscriber had it (or a newer value), ms. */
  readonly originToFirstMs: readonly number[];
  readonly originToLastMs: readonly number[];
  readonly sendToLastMs: readonly number[];
  /** Measured values some subscribers never received as such: value -> how many did. */
  readonly incomplete: ReadonlyMap<number, number>;
  /** Server memory after subscribing minus before, after a full GC, bytes per subscriber. */
  readonly heapPerSubscriber: number;
  readonly rssPerSubscriber: number;
  /** Server CPU over the measured updates, per message received by a subscriber, µs. */
  readonly cpuPerMessageUs: number;
  /** Server event-loop utilisation over the measured updates. */
  readonly loopBusy: number;
  /** The longest the server's event loop was held during the measured updates, ms. */
  readonly longestStallMs: number;
  /** After every subscriber left (GC'd): heap growth since before subscribing, bytes. */
  readonly heapLeftBytes: number;
  /** After every subscriber left: the gateway's live operations and upstream subscriptions. */
  readonly liveLeft: ServerStats["live"];
  readonly problems: readonly string[];
}

/** The soft limit on open files of this process (children inherit it); null if unknown. */
function openFileLimit(): number | null {
  try {
    const limits = fs.readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (match?.[1] === undefined) return null;
    return match[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return null;
  }
}

function sleepUntil(atMs: number): Promise<void> {
  return sleep(Math.max(0, atMs - monotonicMs()));
}

/** Makes the next update: increments the counter (gateway) or publishes (yoga). */
type Updater = () => Promise<Update>;

function updater(kind: ServerKind, server: ServerProcess, mutator: ConvexHttpClient): Updater {
  let published = 0;
  switch (kind) {
    case "gateway":
      return async () => {
        const sentMs = monotonicMs();
        const value = await mutator.mutation(INCREMENT, { name: COUNTER });
        return { value, sentMs, originMs: monotonicMs() };
      };
    case "yoga":
      return async () => {
        const value = ++published;
        const sentMs = monotonicMs();
        return { value, sentMs, originMs: await server.publish(value) };
      };
    default:
      return kind satisfies never;
  }
}

/** Waits for `value` to reach every subscriber; throws (with `what`) after `timeoutMs`. */
async function delivered(
  fleet: SubscriberFleet,
  value: number,
  timeoutMs: number,
  what: string,
): Promise<Delivery> {
  const delivery = await fleet.delivered(value, timeoutMs);
  if (delivery === null) {
    const [count = 0] = await fleet.counts([value]);
    const problems = fleet.problems.length > 0 ? `; problems: ${fleet.problems.join("; ")}` : "";
    throw new Error(
      `${what}: value ${value} reached ${formatCount(count)} subscribers in ${timeoutMs} ms${problems}`,
    );
  }
  return delivery;
}

async function runServer(
  kind: ServerKind,
  engineUrl: string,
  mutator: ConvexHttpClient,
  options: FanoutOptions,
): Promise<FanoutResult> {
  const n = options.subscribers;
  const deliveryTimeoutMs = Math.max(10_000, n * 3);
  await using server = await startServerProcess(kind, engineUrl);
  let fleet: SubscriberFleet | null = await startSubscriberFleet();
  try {
    const next = updater(kind, server, mutator);
    const before = await server.stats(true);
    const connectMs = await fleet.connect(server.url, n, SUBSCRIPTION, CONNECT_BATCH);
    // Warm-up, and proof that every subscription is in place: each value reaches everyone.
    for (let i = 0; i < WARMUP_UPDATES; i++) {
      const update = await next();
      await delivered(fleet, update.value, deliveryTimeoutMs, `${kind} warm-up`);
    }
    const idle = await server.stats(true);

    const pending: Promise<Update>[] = [];
    const start = monotonicMs() + options.intervalMs;
    for (let k = 0; k < options.updates; k++) {
      await sleepUntil(start + k * options.intervalMs);
      pending.push(next());
    }
    const updates = await Promise.all(pending);
    const lastValue = updates.at(-1)?.value ?? 0;
    await fleet.delivered(lastValue, deliveryTimeoutMs);
    const busy = await server.stats(false);

    const originToFirstMs: number[] = [];
    const originToLastMs: number[] = [];
    const sendToLastMs: number[] = [];
    let late = 0;
    for (const update of updates) {
      // Values rise on every socket: whoever has the last value is up to date for all the others.
      const delivery = await fleet.delivered(update.value, 0);
      if (delivery === null) {
        late++;
        continue;
      }
      originToFirstMs.push(delivery.firstMs - update.originMs);
      originToLastMs.push(delivery.lastMs - update.originMs);
      sendToLastMs.push(delivery.lastMs - update.sentMs);
    }
    const counts = await fleet.counts(updates.map((update) => update.value));
    const incomplete = new Map(
      updates.flatMap((update, i): [number, number][] => {
        const count = counts[i] ?? 0;
        return count < n ? [[update.value, count]] : [];
      }),
    );
    const messages = counts.reduce((sum, count) => sum + count, 0);
    const problems = [...fleet.problems];
    if (late > 0) {
      problems.push(`${late} measured values never reached every subscriber (nor a newer one did)`);
    }

    await fleet.close();
    fleet = null;
    // The server notices the closes asynchronously, and lets go of its sockets some time after
    // its own bookkeeping is empty: wait for that, then until the heap stops shrinking.
    let left = await server.stats(true);
    for (let i = 0; i < 50 && (left.live?.operations ?? 0) + (left.connections ?? 0) > 0; i++) {
      await sleep(100);
      left = await server.stats(true);
    }
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      const later = await server.stats(true);
      const shrunk = left.memory.heapUsed - later.memory.heapUsed;
      left = later;
      if (shrunk < 1024 * 1024) break;
    }
    const windowMs = busy.eventLoop.idle + busy.eventLoop.active;
    const windowBefore = idle.eventLoop.idle + idle.eventLoop.active;
    return {
      server: kind,
      subscribers: n,
      connectMs,
      updates: updates.length,
      originToFirstMs,
      originToLastMs,
      sendToLastMs,
      incomplete,
      heapPerSubscriber: (idle.memory.heapUsed - before.memory.heapUsed) / n,
      rssPerSubscriber: (idle.memory.rss - before.memory.rss) / n,
      cpuPerMessageUs: (busy.cpuMicros - idle.cpuMicros) / Math.max(1, messages),
      loopBusy: (busy.eventLoop.active - idle.eventLoop.active) / (windowMs - windowBefore),
      longestStallMs: busy.longestStallMs,
      heapLeftBytes: left.memory.heapUsed - before.memory.heapUsed,
      liveLeft: left.live,
      problems,
    };
  } finally {
    await fleet?.close();
  }
}

export async function fanout(
  options: FanoutOptions = DEFAULT_FANOUT_OPTIONS,
): Promise<FanoutResult[]> {
  const report = new Report();
  report.heading(
    `Fan-out: ${formatCount(options.subscribers)} graphql-ws subscribers of one live query, ` +
      `an update every ${options.intervalMs} ms (${options.updates} measured), gateway vs plain Yoga`,
  );
  const limit = openFileLimit();
  if (limit !== null && limit < options.subscribers + SPARE_FDS) {
    throw new Error(
      `fanout: ${formatCount(options.subscribers)} subscribers need about ` +
        `${formatCount(options.subscribers + SPARE_FDS)} open files per process; the limit is ` +
        `${formatCount(limit)} (raise it with \`ulimit -n\`)`,
    );
  }
  await using dir = tempDir("convex-graphql-fanout-");
  await using engine = await startEngineProcess({
    dataFile: path.join(dir.path, "engine.sqlite3"),
    durability: "full",
  });
  const mutator = new ConvexHttpClient(engine.url, { logger: false });
  await mutator.mutation(INCREMENT, { name: COUNTER }); // the counter exists before anyone subscribes
  const results: FanoutResult[] = [];
  for (const kind of options.servers) {
    results.push(await runServer(kind, engine.url, mutator, options));
  }
  printTable(report, results, options);
  printAftermath(report, results);
  report.finish();
  return results;
}

/** The results table and what its columns mean. */
function printTable(
  report: Report,
  results: readonly FanoutResult[],
  options: FanoutOptions,
): void {
  const ms = (values: readonly number[], p: number): string => formatMs(percentile(values, p));
  const bytes = (value: number): string => `${formatCount(value / 1024)} KiB`;
  report.table(
    [
      "server",
      "subscribers",
      "values all/some/none",
      "origin->first p50",
      "origin->last p50",
      "p99",
      "send->last p50",
      "p99",
      "CPU/fan-out ms",
      "CPU/message µs",
      "loop busy",
      "longest stall ms",
      "heap/sub",
      "RSS/sub",
      "connect s",
    ],
    results.map((result) => [
      result.server,
      formatCount(result.subscribers),
      valueCounts(result),
      ms(result.originToFirstMs, 50),
      ms(result.originToLastMs, 50),
      ms(result.originToLastMs, 99),
      ms(result.sendToLastMs, 50),
      ms(result.sendToLastMs, 99),
      formatMs((result.cpuPerMessageUs * result.subscribers) / 1000),
      formatMs(result.cpuPerMessageUs),
      `${(result.loopBusy * 100).toFixed(0)}%`,
      formatMs(result.longestStallMs),
      bytes(result.heapPerSubscriber),
      bytes(result.rssPerSubscriber),
      (result.connectMs / 1000).toFixed(1),
    ]),
  );
  report.line(
    "(ms; origin = gateway: the mutation's acknowledgement, yoga: the publish; send = the mutation " +
      "sent / the publish requested; first/last = the first/last subscriber to have the value (or " +
      "a newer one); values all/some/none = measured values that reached every / some / no " +
      "subscriber as such (a live query skips a value when a newer one is already there); " +
      "CPU/message (per value received by one subscriber), loop busy and longest stall (the " +
      "longest the event loop was held at once) = the server process over the measured updates; CPU/fan-out = CPU/message x subscribers: a server keeps up only while " +
      `it is under the interval (${options.intervalMs} ms); heap/sub and RSS/sub = the server ` +
      "process after a full GC, idle subscribers, per subscriber)",
  );
}

/** The ratio to plain Yoga, what is left after everyone leaves, values short of everyone, problems. */
function printAftermath(report: Report, results: readonly FanoutResult[]): void {
  const bytes = (value: number): string => `${formatCount(value / 1024)} KiB`;
  const gateway = results.find((result) => result.server === "gateway");
  const yoga = results.find((result) => result.server === "yoga");
  if (gateway !== undefined && yoga !== undefined) {
    const ratio = (p: number): number =>
      percentile(gateway.originToLastMs, p) / percentile(yoga.originToLastMs, p);
    report.line(
      `gateway/yoga, to the last subscriber: p50 ${formatRatio(ratio(50))}, p99 ${formatRatio(ratio(99))} ` +
        `(target <= 1.25x at p50: ${verdict(ratio(50) <= 1.25)})`,
    );
  }
  for (const result of results) {
    const left =
      result.liveLeft === null
        ? ""
        : `, live operations ${result.liveLeft.operations}, upstream subscriptions ` +
          `${result.liveLeft.upstreamSubscriptions}, upstream connections ${result.liveLeft.upstreamClients}`;
    report.line(
      `${result.server}: after every subscriber left: heap ${result.heapLeftBytes >= 0 ? "+" : ""}` +
        `${bytes(result.heapLeftBytes)} since before subscribing${left}`,
    );
    const skipped = [...result.incomplete].filter(([, count]) => count === 0);
    if (skipped.length > 0) {
      report.line(
        `${result.server}: values no subscriber received: ${skipped.map(([value]) => value).join(", ")}`,
      );
    }
    for (const [value, count] of result.incomplete) {
      if (count === 0) continue;
      report.line(
        `${result.server}: value ${value} reached ${formatCount(count)} of ${formatCount(result.subscribers)}`,
      );
    }
    for (const problem of result.problems) report.problem(result.server, `problem: ${problem}`);
  }
}

/** `all/some/none`: measured values that reached every subscriber, some of them, none. */
function valueCounts(result: FanoutResult): string {
  const none = [...result.incomplete.values()].filter((count) => count === 0).length;
  const some = result.incomplete.size - none;
  return `${result.updates - result.incomplete.size}/${some}/${none}`;
}

/** A generous upper bound of the run time: start-ups, 5 ms per subscriber, the updates. */
export function expectedFanoutMs(options: FanoutOptions): number {
  const perServer =
    20_000 +
    options.subscribers * 5 +
    (options.updates + WARMUP_UPDATES) * (options.intervalMs + options.subscribers * 0.1);
  return 15_000 + options.servers.length * perServer;
}

await runFromCommandLine(import.meta.url, {
  name: "fanout",
  defaults: DEFAULT_FANOUT_OPTIONS,
  flags: FLAGS,
  expectedMs: expectedFanoutMs,
  run: fanout,
});
