/**
 * Gateway overhead: the same Convex query, `orders:getOrdersByTable({table: 2})` (20 orders),
 * read through the GraphQL gateway and directly, in one run:
 *
 * - `gateway`: `POST /graphql` with `fetch` (undici, keep-alive), the query
 *   `ordersGetOrdersByTable(table: $table)` selecting every field of `Order`, as a client sends
 *   it: after the first request, the gateway answers it from the warm upstream subscription
 *   (kept current by the backend's pushes; see gateway/upstream/sessions.ts), with no round trip;
 * - `gateway no-cache`: the same request with `Cache-Control: no-cache`, which makes the gateway
 *   read upstream at the latest timestamp (one `/api/query` over HTTP): the price of a cold read;
 * - `direct`: `ConvexHttpClient.query` (one client, one `POST /api/query` per call);
 * - `direct 2-step`: what a cold read of an operation with several root fields asks of Convex: a
 *   fresh `ConvexHttpClient` per call and its `consistentQuery` (`POST /api/query_ts`, then
 *   `POST /api/query_at_ts`). Between `direct` and `gateway no-cache` lies the price of GraphQL
 *   (Yoga, parsing, validation, execution) and of the extra HTTP hop.
 *
 * Each path runs sequentially (one request at a time) and concurrently (16 in flight), in
 * interleaved rounds (the order of the paths rotates every round) after a warm-up, so that drift
 * of the machine lands on every path alike. It prints p50/p99 per path and mode, the CPU each
 * process spent per request, and the ratio gateway/direct at p50. **The target: the gateway adds
 * at most 20% at p50** (ratio <= 1.20); the cold-read ratio (`gateway no-cache`/direct) is
 * printed beside it. It prints; it asserts nothing about time. Every response
 * is checked (20 orders of table 2); a wrong one ends the run with an error.
 *
 * Processes: the backend (the example app) in a child (`support/engine_process.ts`), the gateway
 * in another (`support/gateway_server_child.ts`), the callers here. `BENCH_CPU_PROF=DIR` leaves a
 * `.cpuprofile` per child (the gateway's is the one whose main thread runs graphql-yoga).
 *
 *   node cli/run_ts.js bench/gateway_overhead.ts [--sequential 500] [--concurrent 2000]
 *     [--in-flight 16] [--rounds 5] [--orders 20]
 */
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { api } from "../convex/_generated/api.js";
import { startEngineProcess, type EngineProcess } from "./support/engine_process.ts";
import { startServerProcess, type ServerProcess } from "./support/gateway_processes.ts";
import { percentile, runCountedLoad, tempDir } from "./support/harness.ts";
import { count, flag, runFromCommandLine, type Flags } from "./support/options.ts";
import { formatCount, formatMs, formatRatio, Report, verdict } from "./support/report.ts";

export interface GatewayOverheadOptions {
  /** Sequential requests per path (over all rounds). @default 500 */
  readonly sequential: number;
  /** Concurrent requests per path (over all rounds). @default 2_000 */
  readonly concurrent: number;
  /** Requests in flight in the concurrent mode. @default 16 */
  readonly inFlight: number;
  /** Interleaved rounds. @default 5 */
  readonly rounds: number;
  /** Orders seeded at the queried table (and as many at two other tables). @default 20 */
  readonly orders: number;
}

export const DEFAULT_GATEWAY_OVERHEAD_OPTIONS: GatewayOverheadOptions = {
  sequential: 500,
  concurrent: 2_000,
  inFlight: 16,
  rounds: 5,
  orders: 20,
};

const FLAGS: Flags<GatewayOverheadOptions> = {
  sequential: flag("sequential", count),
  concurrent: flag("concurrent", count),
  inFlight: flag("in-flight", count),
  rounds: flag("rounds", count),
  orders: flag("orders", count),
};

const TABLE = 2;
const GET_ORDERS = api.orders.getOrdersByTable;
const PLACE_ORDER = api.orders.placeOrder;
const GRAPHQL_QUERY = /* GraphQL */ `
  query OrdersByTable($table: Float!) {
    ordersGetOrdersByTable(table: $table) {
      _id
      _creationTime
      dish
      table
      status
      notes
      createdAt
    }
  }
`;
/** Unmeasured requests per path and mode before the first round. */
const WARMUP_FRACTION = 0.2;

const PATHS = ["gateway", "gateway no-cache", "direct", "direct 2-step"] as const;
type PathName = (typeof PATHS)[number];
type Mode = "sequential" | "concurrent";

/** What one (mode, path) accumulates over the rounds. */
interface Tally {
  latenciesMs: number[];
  elapsedMs: number;
  requests: number;
  engineCpuMicros: number;
  gatewayCpuMicros: number;
  clientCpuMicros: number;
  engineQueries: number;
}

export interface GatewayOverheadResult {
  readonly mode: Mode;
  readonly path: PathName;
  readonly tally: Readonly<Tally>;
}

/** One call of a path: resolves once the response is in and checked. */
type Call = () => Promise<void>;

function checkOrders(value: unknown, expected: number, what: string): void {
  if (!Array.isArray(value) || value.length !== expected) {
    throw new Error(`${what}: expected ${expected} orders, got ${JSON.stringify(value)}`);
  }
  const first = value[0] as { table?: unknown } | undefined;
  if (first?.table !== TABLE) throw new Error(`${what}: an order of the wrong table`);
}

function calls(engineUrl: string, gatewayUrl: string, orders: number): Record<PathName, Call> {
  const body = JSON.stringify({ query: GRAPHQL_QUERY, variables: { table: TABLE } });
  const direct = new ConvexHttpClient(engineUrl, { logger: false });
  const viaGateway =
    (headers: Record<string, string>, what: string): Call =>
    async () => {
      const response = await fetch(gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...headers },
        body,
      });
      const json = (await response.json()) as {
        data?: { ordersGetOrdersByTable?: unknown };
        errors?: unknown;
      };
      if (!response.ok || json.errors !== undefined) {
        throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(json)}`);
      }
      checkOrders(json.data?.ordersGetOrdersByTable, orders, what);
    };
  return {
    gateway: viaGateway({}, "gateway"),
    "gateway no-cache": viaGateway({ "cache-control": "no-cache" }, "gateway no-cache"),
    direct: async () => {
      checkOrders(await direct.query(GET_ORDERS, { table: TABLE }), orders, "direct");
    },
    "direct 2-step": async () => {
      const client = new ConvexHttpClient(engineUrl, { logger: false });
      checkOrders(
        await client.consistentQuery(GET_ORDERS, { table: TABLE }),
        orders,
        "direct 2-step",
      );
    },
  };
}

async function seed(engineUrl: string, orders: number): Promise<void> {
  const client = new ConvexHttpClient(engineUrl, { logger: false });
  for (const table of [1, TABLE, 3]) {
    for (let n = 0; n < orders; n++) {
      await client.mutation(PLACE_ORDER, {
        dish: `dish ${n}`,
        table,
        ...(n % 3 === 0 ? { notes: "no onions" } : {}),
      });
    }
  }
}

/** Runs `total` calls with `inFlight` callers; adds latencies and every process's CPU to `tally`. */
async function measure(
  call: Call,
  total: number,
  inFlight: number,
  engine: EngineProcess,
  gateway: ServerProcess,
  tally: Tally | null,
): Promise<void> {
  const [engineBefore, gatewayBefore] = await Promise.all([engine.stats(), gateway.stats()]);
  const clientBefore = process.cpuUsage();
  const result = await runCountedLoad({
    callers: inFlight,
    total,
    call: async () => {
      await call();
      return true;
    },
  });
  const client = process.cpuUsage(clientBefore);
  const [engineAfter, gatewayAfter] = await Promise.all([engine.stats(), gateway.stats()]);
  if (tally === null) return;
  tally.latenciesMs.push(...result.latenciesMs);
  tally.elapsedMs += result.elapsedMs;
  tally.requests += result.succeeded;
  tally.engineCpuMicros += engineAfter.cpuMicros - engineBefore.cpuMicros;
  tally.gatewayCpuMicros += gatewayAfter.cpuMicros - gatewayBefore.cpuMicros;
  tally.clientCpuMicros += client.user + client.system;
  tally.engineQueries += engineAfter.executor.queries - engineBefore.executor.queries;
}

/** Splits `total` into `parts` near-equal whole shares. */
function shares(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor((total * (i + 1)) / parts) - Math.floor((total * i) / parts),
  );
}

/** How one mode runs: its requests per path over all rounds, and how many are in flight. */
interface ModePlan {
  readonly mode: Mode;
  readonly total: number;
  readonly inFlight: number;
}

/** What every measurement needs: each path's call, and the processes whose CPU it reads. */
interface Setup {
  readonly pathCalls: Record<PathName, Call>;
  readonly engine: EngineProcess;
  readonly gateway: ServerProcess;
}

/** One tally per (mode, path), created on first use. */
class Tallies {
  private readonly byKey = new Map<string, Tally>();

  of(mode: Mode, name: PathName): Tally {
    const key = `${mode}/${name}`;
    let tally = this.byKey.get(key);
    if (tally === undefined) {
      tally = {
        latenciesMs: [],
        elapsedMs: 0,
        requests: 0,
        engineCpuMicros: 0,
        gatewayCpuMicros: 0,
        clientCpuMicros: 0,
        engineQueries: 0,
      };
      this.byKey.set(key, tally);
    }
    return tally;
  }
}

export async function gatewayOverhead(
  options: GatewayOverheadOptions = DEFAULT_GATEWAY_OVERHEAD_OPTIONS,
): Promise<GatewayOverheadResult[]> {
  const report = new Report();
  report.heading(
    `Gateway overhead: orders:getOrdersByTable({table: ${TABLE}}) (${options.orders} orders) ` +
      `through the gateway vs directly`,
  );
  await using dir = tempDir("convex-graphql-gateway-overhead-");
  await using engine = await startEngineProcess({
    dataFile: path.join(dir.path, "engine.sqlite3"),
    durability: "normal",
  });
  await using gateway = await startServerProcess("gateway", engine.url);
  await seed(engine.url, options.orders);
  const setup: Setup = {
    pathCalls: calls(engine.url, gateway.url, options.orders),
    engine,
    gateway,
  };
  const modes: readonly ModePlan[] = [
    { mode: "sequential", total: options.sequential, inFlight: 1 },
    { mode: "concurrent", total: options.concurrent, inFlight: options.inFlight },
  ];
  report.line(
    `${formatCount(options.sequential)} sequential and ${formatCount(options.concurrent)} ` +
      `concurrent (${options.inFlight} in flight) requests per path, in ${options.rounds} ` +
      `interleaved rounds after a warm-up`,
  );
  report.line();
  await warmUp(setup, modes);
  const tallies = await measureRounds(setup, modes, options.rounds);
  const results: GatewayOverheadResult[] = modes.flatMap(({ mode }) =>
    PATHS.map((name) => ({ mode, path: name, tally: tallies.of(mode, name) })),
  );
  reportResults(report, results, modes, tallies);
  return results;
}

/** Every path, every mode, unmeasured (JIT, connection pools, the engine's caches). */
async function warmUp(setup: Setup, modes: readonly ModePlan[]): Promise<void> {
  for (const { total, inFlight } of modes) {
    for (const name of PATHS) {
      const warmup = Math.max(inFlight, Math.round(total * WARMUP_FRACTION));
      await measure(setup.pathCalls[name], warmup, inFlight, setup.engine, setup.gateway, null);
    }
  }
}

/** `rounds` rounds of every mode and path, the order of the paths rotating every round. */
async function measureRounds(
  setup: Setup,
  modes: readonly ModePlan[],
  rounds: number,
): Promise<Tallies> {
  const { pathCalls, engine, gateway } = setup;
  const tallies = new Tallies();
  const perRound = new Map(modes.map((m) => [m.mode, shares(m.total, rounds)]));
  for (let round = 0; round < rounds; round++) {
    const order = PATHS.map((_, i) => PATHS[(i + round) % PATHS.length] as PathName);
    for (const { mode, inFlight } of modes) {
      const total = perRound.get(mode)?.[round] ?? 0;
      for (const name of order) {
        await measure(pathCalls[name], total, inFlight, engine, gateway, tallies.of(mode, name));
      }
    }
  }
  return tallies;
}

/** The table of every (mode, path), the ratios at p50 per mode, the note on CPU; finishes. */
function reportResults(
  report: Report,
  results: readonly GatewayOverheadResult[],
  modes: readonly ModePlan[],
  tallies: Tallies,
): void {
  report.table(
    [
      "mode",
      "path",
      "requests",
      "p50 ms",
      "p99 ms",
      "req/s",
      "engine CPU/req ms",
      "gateway CPU/req ms",
      "caller CPU/req ms",
      "engine queries/req",
    ],
    results.map(({ mode, path: name, tally }) => resultRow(mode, name, tally)),
  );
  for (const { mode } of modes) report.line(ratiosLine(mode, tallies));
  report.line();
  report.line(
    "(CPU/req: CPU time of each process over the measured requests, divided by the requests; " +
      "caller = this process, which runs every path's client; engine queries/req counts query " +
      "executions, not /api/query_ts)",
  );
  report.finish();
}

function resultRow(mode: Mode, name: PathName, tally: Readonly<Tally>): string[] {
  const perRequest = (micros: number): string =>
    formatMs(micros / 1000 / Math.max(1, tally.requests));
  return [
    mode,
    name,
    formatCount(tally.requests),
    formatMs(percentile(tally.latenciesMs, 50)),
    formatMs(percentile(tally.latenciesMs, 99)),
    formatCount((tally.requests * 1000) / tally.elapsedMs),
    perRequest(tally.engineCpuMicros),
    perRequest(tally.gatewayCpuMicros),
    perRequest(tally.clientCpuMicros),
    (tally.engineQueries / Math.max(1, tally.requests)).toFixed(2),
  ];
}

/** One mode's p50 ratios: gateway/direct against the target, and the others beside it. */
function ratiosLine(mode: Mode, tallies: Tallies): string {
  const p50 = (name: PathName): number => percentile(tallies.of(mode, name).latenciesMs, 50);
  const ratio = p50("gateway") / p50("direct");
  return (
    `${mode}: gateway/direct at p50 = ${formatRatio(ratio)} ` +
    `(target <= 1.20x: ${verdict(ratio <= 1.2)}); ` +
    `gateway no-cache/direct = ${formatRatio(p50("gateway no-cache") / p50("direct"))}, ` +
    `gateway/direct 2-step = ${formatRatio(p50("gateway") / p50("direct 2-step"))}, ` +
    `direct 2-step/direct = ${formatRatio(p50("direct 2-step") / p50("direct"))}`
  );
}

/** A generous upper bound of the run time: start-ups, seeding, and 20 ms per request. */
export function expectedGatewayOverheadMs(options: GatewayOverheadOptions): number {
  const requests = (options.sequential + options.concurrent) * PATHS.length * (1 + WARMUP_FRACTION);
  return 30_000 + options.orders * 3 * 20 + requests * 20;
}

await runFromCommandLine(import.meta.url, {
  name: "gateway_overhead",
  defaults: DEFAULT_GATEWAY_OVERHEAD_OPTIONS,
  flags: FLAGS,
  expectedMs: expectedGatewayOverheadMs,
  run: gatewayOverhead,
});
