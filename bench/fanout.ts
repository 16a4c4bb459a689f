/**
 * Fan-out: one live query, many subscribers, against the wire's limit. N subscribers (default
 * 10,000) of `subscription { countersGet(name: "hot") }` on the gateway, and a mutation
 * (`counters:increment`, `ConvexHttpClient` against the backend) every 150 ms, 20 times. For each
 * mutation: the time from its acknowledgement until the LAST subscriber has the new value, p50
 * and p99 over the mutations. A live query delivers the latest result, not every one: when a
 * newer value is already there, the gateway may skip one, and a subscriber that receives a newer
 * value is up to date for the skipped one from that instant (the values are consecutive).
 *
 * The servers (`--servers`, measured one after the other in this order, never at once: on a
 * 2-core machine each fan-out would take CPU from the other):
 *
 * | server        | subscribers                        | an update                                   |
 * | ------------- | ---------------------------------- | ------------------------------------------- |
 * | `raw`         | graphql-transport-ws, plain `ws`   | the same `next` frame, encoded once, `ws.send` to each socket (the wire's limit) |
 * | `gateway`     | graphql-ws                         | a mutation; the gateway re-runs and fans out |
 * | `raw-sse`     | SSE, plain `node:http`             | the same `event: next` bytes, written to each response |
 * | `gateway-sse` | SSE (`Accept: text/event-stream`)  | a mutation, as for `gateway`                 |
 * | `yoga`        | graphql-ws, plain graphql-yoga     | `createPubSub` publish (`support/gateway_plain_yoga.ts`) |
 *
 * **The targets: the gateway's p50 and p99 within 1.5x of the raw broadcast over the same
 * transport** (`gateway` / `raw`, `gateway-sse` / `raw-sse`), and memory per idle subscriber (the
 * server process's RSS after a full GC, with N idle subscribers minus before, divided by N) at
 * most 20 KB.
 *
 * Processes (so that each number belongs to one process): the backend (the example app) in a
 * child (`support/engine_process.ts`), the server under test in another
 * (`support/gateway_server_child.ts`, with `--expose-gc`; `BENCH_CPU_PROF=DIR` profiles it), and
 * the subscribers (raw clients, `support/gateway_subscriber_transports.ts`) spread over
 * `--client-processes` children (default 4), each printing its event-loop utilisation over the
 * measured updates: well under 100%, the clients are not the bottleneck. This process sends the
 * mutations. Instants are taken on the system's monotonic clock, which every process shares. A
 * value counts as received when its frame reached the subscriber's socket in its process.
 *
 * Also printed: the load average at each server's start (the machine is shared: absolute numbers
 * are noisy, ratios within one run are what counts), the server's CPU per update and per message,
 * its RSS with N idle subscribers, and after every subscriber left, what is still held (heap
 * growth; for the gateway, its live operations and upstream subscriptions, which must fall to 0).
 *
 * `--measure memory` stops after the warm-up: only the memory figures, quickly (about a minute
 * per server at 10,000 subscribers).
 *
 * Problems (a subscriber saw a repeated or lower value, an error or a close; a value never
 * reached everyone) are printed and set exit code 1. Timing is printed, never asserted.
 *
 * `fanout()` returns a `FanoutResult` for charts (`FanoutServerResult` per server: the names of
 * its fields are stable).
 *
 *   node cli/run_ts.js bench/fanout.ts [--subscribers 10000] [--updates 20] [--interval 150]
 *     [--servers raw,gateway,raw-sse,gateway-sse,yoga] [--client-processes 4] [--measure all|memory]
 *   BENCH_FANOUT_SUBSCRIBERS=1000 node cli/run_ts.js bench/fanout.ts
 */
import fs from "node:fs";
import os from "node:os";
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
import {
  monotonicMs,
  type ServerKind,
  type ServerStats,
  type SubscriberTransport,
  type SubscribersLoad,
} from "./support/gateway_protocol.ts";
import { printFanout } from "./support/fanout_report.ts";
import { percentile, sleep, tempDir } from "./support/harness.ts";
import { count, flag, listOf, oneOf, runFromCommandLine, type Flags } from "./support/options.ts";
import { formatCount, Report } from "./support/report.ts";

/** The servers `fanout` can measure (table above). */
export const FANOUT_SERVERS = ["raw", "gateway", "raw-sse", "gateway-sse", "yoga"] as const;
export type FanoutServer = (typeof FANOUT_SERVERS)[number];

/** Each server: which child serves it, over which transport, and its baseline. */
export const FANOUT_SERVER_SETUP: Readonly<
  Record<
    FanoutServer,
    { kind: ServerKind; transport: SubscriberTransport; baseline: FanoutServer | null }
  >
> = {
  raw: { kind: "raw", transport: "ws", baseline: null },
  gateway: { kind: "gateway", transport: "ws", baseline: "raw" },
  "raw-sse": { kind: "raw", transport: "sse", baseline: null },
  "gateway-sse": { kind: "gateway", transport: "sse", baseline: "raw-sse" },
  yoga: { kind: "yoga", transport: "ws", baseline: "raw" },
};

/** The most a server's p50 and p99 may be of its baseline's. */
export const FANOUT_TARGET_RATIO = 1.5;
/** The most memory an idle subscriber may cost the server: 20 KB, read strictly (bytes). */
export const FANOUT_TARGET_BYTES_PER_SUBSCRIBER = 20_000;

export interface FanoutOptions {
  /** Subscribers per server. @default 10_000 (or `BENCH_FANOUT_SUBSCRIBERS`) */
  readonly subscribers: number;
  /** Measured updates per server. @default 20 */
  readonly updates: number;
  /** Time between two updates. @default 150 // ms */
  readonly intervalMs: number;
  /** The servers, measured in this order. @default FANOUT_SERVERS */
  readonly servers: readonly FanoutServer[];
  /** Processes holding the subscribers. @default 4 */
  readonly clientProcesses: number;
  /**
   * `all`: latency and memory; `memory`: connect, warm up and read the memory with every
   * subscriber idle, no measured updates (no latencies, ratios nor CPU figures). @default "all"
   */
  readonly measure: "all" | "memory";
}

/** `BENCH_FANOUT_SUBSCRIBERS`, when set: the default subscriber count. */
function subscribersFromEnv(): number | undefined {
  const text = process.env["BENCH_FANOUT_SUBSCRIBERS"];
  return text === undefined || text === "" ? undefined : count(text, "BENCH_FANOUT_SUBSCRIBERS");
}

export const DEFAULT_FANOUT_OPTIONS: FanoutOptions = {
  subscribers: subscribersFromEnv() ?? 10_000,
  updates: 20,
  intervalMs: 150,
  servers: FANOUT_SERVERS,
  clientProcesses: 4,
  measure: "all",
};

const FLAGS: Flags<FanoutOptions> = {
  subscribers: flag("subscribers", count),
  updates: flag("updates", count),
  intervalMs: flag("interval", count),
  servers: flag("servers", listOf(oneOf(...FANOUT_SERVERS))),
  clientProcesses: flag("client-processes", count),
  measure: flag("measure", oneOf("all", "memory")),
};

const COUNTER = "hot";
const SUBSCRIPTION = `subscription { countersGet(name: "${COUNTER}") }`;
const INCREMENT = api.counters.increment;
/** Unmeasured updates after subscribing, each awaited until every subscriber has it. */
const WARMUP_UPDATES = 5;
/** Sockets opened at once, over all client processes (the listen backlog is 511). */
const CONNECT_BATCH = 250;
/** File descriptors each process needs besides one per socket. */
const SPARE_FDS = 256;

/** One measured update: when it was sent, and the instant its latency counts from. */
interface Update {
  readonly value: number;
  readonly sentMs: number;
  /** Gateway: the mutation's acknowledgement; baselines: the publish request. */
  readonly originMs: number;
}

/**
 * One server's figures (names stable: charts read them). Latencies are ms from the origin (the
 * gateway: the mutation's acknowledgement; a baseline: the publish request) to the LAST subscriber
 * having the value (or a newer one), over the measured updates.
 */
export interface FanoutServerResult {
  readonly server: FanoutServer;
  readonly transport: SubscriberTransport;
  /** The server this one is compared with (null for a baseline). */
  readonly baseline: FanoutServer | null;
  readonly subscribers: number;
  /** Origin -> last subscriber, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Origin -> first subscriber, p50, ms. */
  readonly firstP50Ms: number;
  /** The mutation sent (the publish requested) -> last subscriber, ms. */
  readonly sendP50Ms: number;
  readonly sendP99Ms: number;
  /** Memory per idle subscriber: the server's RSS after a full GC, after subscribing minus before, / N. */
  readonly bytesPerSubscriber: number;
  /** The same for the V8 heap alone. */
  readonly heapBytesPerSubscriber: number;
  /** The server process's RSS with N idle subscribers (after a full GC), bytes. */
  readonly serverRssBytes: number;
  /** Server CPU over the measured updates, per message received by a subscriber, µs. */
  readonly cpuPerMessageUs: number;
  /** Server event-loop utilisation over the measured updates, 0..1. */
  readonly serverLoopBusy: number;
  /** The longest the server's event loop was held during the measured updates, ms. */
  readonly longestStallMs: number;
  /** Each client process's event-loop utilisation over the measured updates, 0..1. */
  readonly clientLoopBusy: readonly number[];
  readonly connectMs: number;
  /** Measured updates. */
  readonly updates: number;
  /** Per measured update that reached everyone: origin -> first / last, send -> last, ms. */
  readonly originToFirstMs: readonly number[];
  readonly originToLastMs: readonly number[];
  readonly sendToLastMs: readonly number[];
  /** Measured values some subscribers never received as such: value -> how many did. */
  readonly incomplete: ReadonlyMap<number, number>;
  /** After every subscriber left (GC'd): heap growth since before subscribing, bytes. */
  readonly heapLeftBytes: number;
  /** After every subscriber left: the gateway's live operations and upstream subscriptions. */
  readonly liveLeft: ServerStats["live"];
  /** `os.loadavg()` when this server's measurement started. */
  readonly loadAverage: readonly number[];
  readonly problems: readonly string[];
}

/** A server's p50 and p99 over its baseline's. */
export interface FanoutRatio {
  readonly server: FanoutServer;
  readonly baseline: FanoutServer;
  readonly p50: number;
  readonly p99: number;
}

/** What `fanout()` returns. */
export interface FanoutResult {
  readonly options: FanoutOptions;
  readonly servers: readonly FanoutServerResult[];
  /** Every measured server that has a measured baseline. */
  readonly ratios: readonly FanoutRatio[];
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

/** Makes the next update: increments the counter (gateway) or publishes (baselines). */
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
    case "raw":
      // The value exists once it is asked for: time the server spends before it starts its
      // loop (busy with the previous fan-out) counts, as it does for the gateway.
      return async () => {
        const value = ++published;
        const sentMs = monotonicMs();
        await server.publish(value);
        return { value, sentMs, originMs: sentMs };
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

/** The measured updates, on schedule; resolves once the last reached everyone (or timed out). */
async function measuredUpdates(
  next: Updater,
  fleet: SubscriberFleet,
  options: FanoutOptions,
  timeoutMs: number,
): Promise<Update[]> {
  const pending: Promise<Update>[] = [];
  const start = monotonicMs() + options.intervalMs;
  for (let k = 0; k < options.updates; k++) {
    await sleepUntil(start + k * options.intervalMs);
    pending.push(next());
  }
  const updates = await Promise.all(pending);
  await fleet.delivered(updates.at(-1)?.value ?? 0, timeoutMs);
  return updates;
}

/** Latencies of the updates that reached everyone, and the values some never got as such. */
async function latencies(fleet: SubscriberFleet, updates: readonly Update[], n: number) {
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
    // A subscriber can have the value before the mutator has its acknowledgement (few
    // subscribers, or clocks of two processes a fraction of a millisecond apart): nobody waited.
    originToFirstMs.push(Math.max(0, delivery.firstMs - update.originMs));
    originToLastMs.push(Math.max(0, delivery.lastMs - update.originMs));
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
  return { originToFirstMs, originToLastMs, sendToLastMs, incomplete, messages, late };
}

/** After the subscribers left: waits for the server to let go of them, then for the heap to settle. */
async function settled(server: ServerProcess): Promise<ServerStats> {
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
  return left;
}

/** Each client process's event-loop utilisation between two load readings. */
function clientBusy(
  before: readonly SubscribersLoad[],
  after: readonly SubscribersLoad[],
): number[] {
  return after.map((load, i) => {
    const start = before[i]?.eventLoop ?? { idle: 0, active: 0 };
    const active = load.eventLoop.active - start.active;
    return active / (active + load.eventLoop.idle - start.idle);
  });
}

async function runServer(
  name: FanoutServer,
  engineUrl: string,
  mutator: ConvexHttpClient,
  options: FanoutOptions,
): Promise<FanoutServerResult> {
  const { kind, transport, baseline } = FANOUT_SERVER_SETUP[name];
  const n = options.subscribers;
  const timeoutMs = Math.max(10_000, n * 3);
  const loadAverage = os.loadavg();
  await using server = await startServerProcess(kind, engineUrl);
  await using fleet = await startSubscriberFleet(options.clientProcesses);
  const next = updater(kind, server, mutator);
  const before = await server.stats(true);
  const batch = Math.max(1, Math.floor(CONNECT_BATCH / options.clientProcesses));
  const connectMs = await fleet.connect(server.url, n, SUBSCRIPTION, batch, transport);
  // Warm-up, and proof that every subscription is in place: each value reaches everyone.
  for (let i = 0; i < WARMUP_UPDATES; i++) {
    const update = await next();
    await delivered(fleet, update.value, timeoutMs, `${name} warm-up`);
  }
  const idle = await server.stats(true);
  const clientsBefore = await fleet.load();
  const updates =
    options.measure === "memory" ? [] : await measuredUpdates(next, fleet, options, timeoutMs);
  const busy = await server.stats(false);
  const clientLoopBusy = clientBusy(clientsBefore, await fleet.load());
  const measured = await latencies(fleet, updates, n);
  const problems = [...fleet.problems];
  if (measured.late > 0) {
    problems.push(
      `${measured.late} measured values never reached every subscriber (nor a newer one did)`,
    );
  }
  await fleet.close();
  const left = await settled(server);
  const ms = (values: readonly number[], p: number): number => percentile(values, p);
  const loop = (stats: ServerStats): number => stats.eventLoop.idle + stats.eventLoop.active;
  return {
    server: name,
    transport,
    baseline,
    subscribers: n,
    p50Ms: ms(measured.originToLastMs, 50),
    p99Ms: ms(measured.originToLastMs, 99),
    firstP50Ms: ms(measured.originToFirstMs, 50),
    sendP50Ms: ms(measured.sendToLastMs, 50),
    sendP99Ms: ms(measured.sendToLastMs, 99),
    bytesPerSubscriber: (idle.memory.rss - before.memory.rss) / n,
    heapBytesPerSubscriber: (idle.memory.heapUsed - before.memory.heapUsed) / n,
    serverRssBytes: idle.memory.rss,
    cpuPerMessageUs:
      measured.messages === 0 ? Number.NaN : (busy.cpuMicros - idle.cpuMicros) / measured.messages,
    serverLoopBusy: (busy.eventLoop.active - idle.eventLoop.active) / (loop(busy) - loop(idle)),
    longestStallMs: busy.longestStallMs,
    clientLoopBusy,
    connectMs,
    updates: updates.length,
    originToFirstMs: measured.originToFirstMs,
    originToLastMs: measured.originToLastMs,
    sendToLastMs: measured.sendToLastMs,
    incomplete: measured.incomplete,
    heapLeftBytes: left.memory.heapUsed - before.memory.heapUsed,
    liveLeft: left.live,
    loadAverage,
    problems,
  };
}

/** Each measured server over its measured baseline. */
function ratiosOf(servers: readonly FanoutServerResult[]): FanoutRatio[] {
  return servers.flatMap((result) => {
    const base = servers.find((other) => other.server === result.baseline);
    if (base === undefined || result.baseline === null) return [];
    return [
      {
        server: result.server,
        baseline: result.baseline,
        p50: result.p50Ms / base.p50Ms,
        p99: result.p99Ms / base.p99Ms,
      },
    ];
  });
}

/** Refuses to start when this process cannot open a socket per subscriber. */
function checkOpenFiles(options: FanoutOptions): void {
  const limit = openFileLimit();
  if (limit !== null && limit < options.subscribers + SPARE_FDS) {
    throw new Error(
      `fanout: ${formatCount(options.subscribers)} subscribers need about ` +
        `${formatCount(options.subscribers + SPARE_FDS)} open files per process; the limit is ` +
        `${formatCount(limit)} (raise it with \`ulimit -n\`)`,
    );
  }
}

export async function fanout(
  options: FanoutOptions = DEFAULT_FANOUT_OPTIONS,
): Promise<FanoutResult> {
  const report = new Report();
  report.heading(
    `Fan-out: ${formatCount(options.subscribers)} subscribers of one live query, an update every ` +
      `${options.intervalMs} ms (${options.updates} measured), ${options.clientProcesses} client ` +
      `processes; servers: ${options.servers.join(", ")}`,
  );
  checkOpenFiles(options);
  await using dir = tempDir("convex-graphql-fanout-");
  await using engine = await startEngineProcess({
    dataFile: path.join(dir.path, "engine.sqlite3"),
    durability: "full",
  });
  const mutator = new ConvexHttpClient(engine.url, { logger: false });
  await mutator.mutation(INCREMENT, { name: COUNTER }); // the counter exists before anyone subscribes
  const servers: FanoutServerResult[] = [];
  for (const name of options.servers) {
    servers.push(await runServer(name, engine.url, mutator, options));
  }
  const ratios = options.measure === "memory" ? [] : ratiosOf(servers);
  const result: FanoutResult = { options, servers, ratios };
  printFanout(report, result);
  report.finish();
  return result;
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
