/**
 * Invalidation precision and cost.
 *
 * Part 1, end to end: 10,000 live queries on distinct keys of one index
 * (`counters:get({name: "inv-<i>"})`, index `counters.by_name`), subscribed through the sync
 * protocol by 10 connections of 1,000 subscriptions each (the official `ConvexClient` by
 * default, `--client raw` for raw `ws` sockets). The connections open one after the other, each
 * waiting for its first results; `--burst` opens them all at once, so that 10,000 first
 * executions share the event loop (the engine's 1 s query timeout is wall-clock, so some fail).
 * Once every query has its first result, 1,000 single-key mutations (`counters:increment`, each
 * on a different one of the keys, sent through the HTTP API) should rerun exactly one query each
 * and deliver exactly one new result each, to the query on that key. It prints the reruns
 * (`liveQueries.stats.executions` delta), the invalidations, the deliveries and the spurious
 * ones, and PASS or FAIL (a FAIL sets exit code 1: precision is correctness, not timing).
 *
 * Part 2, in process: the cost of finding what one commit invalidates, on `SubscriptionIndex`
 * directly, with 1k, 10k and 100k registered read sets (each one point range of
 * `counters.by_name`, as `q.eq("name", ...)` reads it). It times `invalidated()` for many
 * single-key write sets, each hitting one read set chosen at random (median and p99 ns per
 * commit, net of the clock reads; the sizes take turns in rounds so that machine noise spreads
 * over all of them) and, as the baseline, a linear scan of every read set
 * (`readSet.firstOverlap`) over the same write sets. The target is a flat index cost (100k / 1k
 * within 1.5x); the scan grows with N. Printed, never asserted.
 *
 * Everything runs in this process (see `support/reactivity_backend.ts`).
 *
 *   node cli/run_ts.js bench/invalidation.ts [--subscriptions 10000] [--connections 10]
 *     [--mutations 1000] [--concurrency 1] [--burst] [--client convex|raw]
 *     [--sizes 1000,10000,100000] [--commits 20000] [--durability full|normal]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Durability } from "../engine/index.ts";
import type { LiveQueries } from "../engine/subscriptions/live_queries.ts";
import { SubscriptionIndex } from "../engine/subscriptions/subscription_index.ts";
import { ReadSet, type IndexName, type WriteKeys } from "../engine/transactions/read_set.ts";
import { encodeIndexKey, tuplePrefixEnd, type IndexKey } from "../engine/values/index_key.ts";
import { createApiCaller, type ApiCaller } from "./support/api_caller.ts";
import {
  formatCount,
  formatMs,
  formatTable,
  isEntryPoint,
  median,
  parseDurability,
  percentile,
  positiveCount,
  runCountedLoad,
  sleep,
  startWatchdog,
  type CountedLoadResult,
} from "./support/harness.ts";
import {
  recordCommits,
  startInProcessBackend,
  type StampedCommit,
} from "./support/reactivity_backend.ts";
import {
  openSubscriber,
  parseSubscriberKind,
  waitUntil,
  type QueryResult,
  type Subscriber,
  type SubscriberKind,
} from "./support/reactivity_subscribers.ts";

export interface InvalidationOptions {
  /** Live queries in part 1, each on its own key. @default 10_000 */
  readonly subscriptions: number;
  /** Sync connections sharing them out (at most 10,000 queries each). @default 10 */
  readonly connections: number;
  /** Single-key mutations in part 1, each on a different key. @default 1_000 */
  readonly mutations: number;
  /** Mutations in flight at once. @default 1 */
  readonly concurrency: number;
  /**
   * Open every connection at once instead of one after the other (each waiting for its first
   * results), so that all the first executions run concurrently. @default false
   */
  readonly burst: boolean;
  /** @default "convex" (the official ConvexClient) */
  readonly client: SubscriberKind;
  /** @default "full" */
  readonly durability: Durability;
  /** Registered read sets in part 2. @default [1_000, 10_000, 100_000] */
  readonly sizes: readonly number[];
  /** Timed `invalidated()` calls per size in part 2. @default 20_000 */
  readonly commits: number;
}

export const DEFAULT_INVALIDATION_OPTIONS: InvalidationOptions = {
  subscriptions: 10_000,
  connections: 10,
  mutations: 1_000,
  concurrency: 1,
  burst: false,
  client: "convex",
  durability: "full",
  sizes: [1_000, 10_000, 100_000],
  commits: 20_000,
};

/** The largest flat-ness ratio (cost at the largest size / cost at the smallest) we aim for. */
export const FLAT_TARGET = 1.5;

const INDEX: IndexName = "counters.by_name";
/** A linear scan visits at most this many read sets in all, per size (it is the slow side). */
const SCAN_BUDGET = 10_000_000;
/** Untimed `invalidated()` calls per size before timing (JIT). */
const WARMUP_CALLS = 5_000;
/** Timed calls per size per round; the sizes take turns. */
const ROUND_CALLS = 1_000;
/** After the last expected delivery, how long to keep listening for spurious ones. */
const QUIET_MS = 500;

const log = (line = ""): void => void process.stdout.write(`${line}\n`);

/** A small deterministic PRNG (mulberry32), so every run picks the same keys. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `count` distinct integers of `[0, n)`, in a deterministic random order. */
function distinctSample(n: number, count: number, seed: number): number[] {
  const next = random(seed);
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(next() * (n - i));
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, count);
}

// ---------------------------------------------------------------------------------------------
// Part 1: precision end to end.

export interface PrecisionResult {
  readonly pass: boolean;
  readonly executions: number;
  readonly invalidations: number;
  readonly deliveries: number;
  readonly spurious: number;
  readonly missing: number;
}

function counterName(key: number): string {
  return `inv-${key}`;
}

/**
 * What the live queries of part 1 receive, by key: while subscribing, each one's first result
 * (a second one is an early extra); once the mutations start, every delivery and the last value.
 */
class KeyResults {
  private phase: "subscribing" | "mutating" = "subscribing";
  firstResults = 0;
  earlyExtras = 0;
  readonly first: (QueryResult | undefined)[];
  readonly deliveries: Uint32Array;
  readonly lastValue: unknown[];
  /** Failed queries and failed mutations, in the order they were seen. */
  readonly failures: string[] = [];

  constructor(total: number) {
    this.first = Array.from({ length: total }, () => undefined);
    this.deliveries = new Uint32Array(total);
    this.lastValue = Array.from({ length: total }, () => undefined);
  }

  record(key: number, result: QueryResult): void {
    if (!result.ok) this.failures.push(`${counterName(key)}: ${result.errorMessage}`);
    if (this.phase === "subscribing") {
      if (this.first[key] === undefined) {
        this.first[key] = result;
        this.firstResults++;
      } else this.earlyExtras++;
      return;
    }
    this.deliveries[key] = (this.deliveries[key] ?? 0) + 1;
    this.lastValue[key] = result.ok ? result.value : result.errorMessage;
  }

  /** From now on, results count as deliveries. */
  startMutating(): void {
    this.phase = "mutating";
  }
}

/** What the steps of part 1 share: the backend's counters, the clients, what they received. */
interface PrecisionRun {
  readonly options: InvalidationOptions;
  readonly url: string;
  readonly liveQueries: LiveQueries;
  readonly commits: { readonly commits: readonly StampedCommit[] };
  readonly mutator: ApiCaller;
  readonly subscribers: Subscriber[];
  readonly results: KeyResults;
}

/** What the mutations of part 1 did, as the callers and the backend counted it. */
interface Mutated {
  /** The mutated keys, one per mutation, all distinct. */
  readonly targets: readonly number[];
  readonly load: CountedLoadResult;
  /** From the first mutation sent to the last mutated key delivered. */
  readonly deliveredMs: number;
  readonly executions: number;
  readonly invalidations: number;
  readonly committed: number;
}

/** Deliveries after the mutations started, against the mutated keys. */
interface DeliveryCounts {
  readonly total: number;
  readonly spurious: number;
  readonly missing: number;
  readonly wrongValue: number;
}

async function precision(options: InvalidationOptions): Promise<PrecisionResult> {
  logPrecisionHeading(options);
  await using server = await startInProcessBackend(options.durability);
  using commits = recordCommits(server.backend);
  const run: PrecisionRun = {
    options,
    url: server.url,
    liveQueries: server.backend.engine.liveQueries,
    commits,
    mutator: createApiCaller("http", server.url),
    subscribers: [],
    results: new KeyResults(options.subscriptions),
  };
  try {
    await subscribeAll(run);
    const mutated = await mutateDistinctKeys(run);
    const counts = countDeliveries(run.results, mutated.targets);
    const problems = precisionProblems(run, mutated, counts);
    const pass = problems.length === 0;
    logPrecision(options.mutations, mutated, counts);
    for (const problem of problems) log(`  problem: ${problem}`);
    log(`precision: ${pass ? "PASS" : "FAIL"}`);
    const { executions, invalidations } = mutated;
    const { total: deliveries, spurious, missing } = counts;
    return { pass, executions, invalidations, deliveries, spurious, missing };
  } finally {
    run.mutator.close();
    await Promise.all(run.subscribers.map((subscriber) => subscriber.close()));
  }
}

function logPrecisionHeading(options: InvalidationOptions): void {
  log(
    `-- Part 1: precision end to end: ${formatCount(options.subscriptions)} live queries (counters:get, one key each) ` +
      `on ${options.connections} ${options.client === "convex" ? "ConvexClients" : "raw sync sockets"} ` +
      `(${options.burst ? "all subscribing at once" : "subscribing one after the other"}), ` +
      `${formatCount(options.mutations)} single-key mutations (concurrency ${options.concurrency}), durability ${options.durability} --`,
  );
}

function anyFailed(subscribers: readonly Subscriber[]): boolean {
  return subscribers.some((subscriber) => subscriber.failure !== null);
}

/**
 * Opens the connections, each subscribing to its share of the keys, and waits for every first
 * result (after each connection, unless `--burst`; then for all of them).
 */
async function subscribeAll(run: PrecisionRun): Promise<void> {
  const { options, liveQueries, results, subscribers } = run;
  const total = options.subscriptions;
  const perConnection = Math.ceil(total / options.connections);
  const subscribeStart = performance.now();
  const executionsBefore = liveQueries.stats.executions;
  const firstResultsUntil = (expected: number): Promise<void> =>
    waitUntil(
      () => results.firstResults >= expected || anyFailed(subscribers),
      120_000,
      () => `first results (${formatCount(results.firstResults)} of ${formatCount(expected)})`,
    );
  for (let c = 0; c < options.connections; c++) {
    const keys = Array.from({ length: perConnection }, (_, q) => c * perConnection + q).filter(
      (key) => key < total,
    );
    subscribers.push(
      await openSubscriber(
        options.client,
        run.url,
        keys.map((key) => ({ udfPath: "counters:get", args: { name: counterName(key) } })),
        (query, result) => results.record(keys[query] as number, result),
      ),
    );
    if (!options.burst) await firstResultsUntil(Math.min(total, (c + 1) * perConnection));
  }
  await firstResultsUntil(total);
  const subscribeMs = performance.now() - subscribeStart;
  log(
    `subscribed: ${formatCount(results.firstResults)} first results in ${formatMs(subscribeMs)} ms ` +
      `(${formatCount(liveQueries.stats.executions - executionsBefore)} executions); ` +
      `live results held: ${formatCount(liveQueries.size)}, read intervals registered: ${formatCount(liveQueries.intervalCount())}`,
  );
}

/**
 * The mutations: each on a different key, every key's counter going from 0 to 1. Waits until
 * every mutated key was delivered, then listens `QUIET_MS` longer for spurious deliveries.
 */
async function mutateDistinctKeys(run: PrecisionRun): Promise<Mutated> {
  const { options, liveQueries, results } = run;
  const targets = distinctSample(options.subscriptions, options.mutations, 1);
  const before = { ...liveQueries.stats };
  const commitsBefore = run.commits.commits.length;
  results.startMutating();
  const mutateStart = performance.now();
  const load = await runCountedLoad({
    callers: options.concurrency,
    total: options.mutations,
    call: async (_caller, index) => {
      const result = await run.mutator.mutation("counters:increment", {
        name: counterName(targets[index] as number),
      });
      if (result.status === "error") results.failures.push(`mutation: ${result.errorMessage}`);
      return result.status === "success";
    },
  });
  await waitForDeliveries(run, targets);
  const deliveredMs = performance.now() - mutateStart;
  await sleep(QUIET_MS);
  return {
    targets,
    load,
    deliveredMs,
    executions: liveQueries.stats.executions - before.executions,
    invalidations: liveQueries.stats.invalidations - before.invalidations,
    committed: run.commits.commits.length - commitsBefore,
  };
}

/** Resolves once every one of `targets` has had a delivery (or a subscriber failed). */
function waitForDeliveries(run: PrecisionRun, targets: readonly number[]): Promise<void> {
  const { mutations } = run.options;
  const { deliveries } = run.results;
  const delivered = (): number => targets.filter((key) => (deliveries[key] ?? 0) > 0).length;
  return waitUntil(
    () => delivered() === mutations || anyFailed(run.subscribers),
    60_000,
    () => `deliveries (${formatCount(delivered())} of ${formatCount(mutations)} mutated keys)`,
  );
}

/** A mutated key should get one delivery, of the value 1; any other key none. */
function countDeliveries(results: KeyResults, targets: readonly number[]): DeliveryCounts {
  const targetSet = new Set(targets);
  let total = 0;
  let spurious = 0;
  let missing = 0;
  let wrongValue = 0;
  for (let key = 0; key < results.deliveries.length; key++) {
    const count = results.deliveries[key] ?? 0;
    total += count;
    if (targetSet.has(key)) {
      if (count === 0) missing++;
      else spurious += count - 1;
      if (count > 0 && results.lastValue[key] !== 1) wrongValue++;
    } else spurious += count;
  }
  return { total, spurious, missing, wrongValue };
}

/** Every way part 1 fell short of exactly one rerun and one delivery per mutation. */
function precisionProblems(run: PrecisionRun, mutated: Mutated, counts: DeliveryCounts): string[] {
  const { mutations } = run.options;
  const { results } = run;
  const { load, committed, executions, invalidations } = mutated;
  const initialProblems = results.first.filter(
    (result) => result === undefined || !result.ok || result.value !== 0,
  ).length;
  const problems: string[] = [];
  if (initialProblems > 0) problems.push(`${initialProblems} queries did not start at 0`);
  if (results.earlyExtras > 0)
    problems.push(`${results.earlyExtras} extra results before any mutation`);
  if (load.succeeded !== mutations) problems.push(`${mutations - load.succeeded} mutations failed`);
  if (committed !== mutations) problems.push(`${committed} commits for ${mutations} mutations`);
  if (executions !== mutations)
    problems.push(`${executions} reruns for ${mutations} mutations (expected exactly one each)`);
  if (invalidations !== mutations)
    problems.push(`${invalidations} invalidations for ${mutations} mutations`);
  if (counts.spurious > 0) problems.push(`${counts.spurious} spurious deliveries`);
  if (counts.missing > 0) problems.push(`${counts.missing} mutated keys never delivered`);
  if (counts.wrongValue > 0)
    problems.push(`${counts.wrongValue} mutated keys delivered a value other than 1`);
  for (const subscriber of run.subscribers)
    if (subscriber.failure !== null) problems.push(subscriber.failure);
  if (results.failures.length > 0) problems.push(`first failure: ${results.failures[0] ?? ""}`);
  return problems;
}

/** The table of counts against what one rerun and one delivery per mutation gives, and the rates. */
function logPrecision(mutations: number, mutated: Mutated, counts: DeliveryCounts): void {
  const { load } = mutated;
  const expected = formatCount(mutations);
  log();
  log(
    formatTable(
      ["", "count", "expected"],
      [
        ["mutations acknowledged", formatCount(load.succeeded), expected],
        ["commits published", formatCount(mutated.committed), expected],
        ["query re-executions", formatCount(mutated.executions), expected],
        ["invalidations", formatCount(mutated.invalidations), expected],
        ["results delivered", formatCount(counts.total), expected],
        ["spurious deliveries", formatCount(counts.spurious), "0"],
        ["mutated keys never delivered", formatCount(counts.missing), "0"],
      ],
    ),
  );
  log();
  log(
    `mutations: ${formatCount(load.perSecond)}/s acknowledged (p50 ${formatMs(percentile(load.latenciesMs, 50))} ms, ` +
      `p99 ${formatMs(percentile(load.latenciesMs, 99))} ms); all ${formatCount(mutations)} delivered ` +
      `${formatMs(mutated.deliveredMs)} ms after the first was sent`,
  );
}

// ---------------------------------------------------------------------------------------------
// Part 2: cost per commit on SubscriptionIndex, against a linear scan.

export interface CostRow {
  readonly size: number;
  readonly indexMedianNs: number;
  readonly indexP99Ns: number;
  readonly scanMedianNs: number;
  readonly scanP99Ns: number;
  readonly correct: boolean;
}

/**
 * `q.eq("name", name)` reads `[key(name), tuplePrefixEnd(key(name)))` of `counters.by_name`,
 * exactly the range the engine's query planner records for it.
 */
function pointReadSet(name: string): ReadSet {
  const start = encodeIndexKey([name]);
  const readSet = new ReadSet();
  readSet.addInterval(INDEX, { start, end: tuplePrefixEnd(start) });
  return readSet;
}

/** What a commit writing the counter `name` puts in `counters.by_name`: name, _creationTime, _id. */
function writeSet(name: string, n: number): WriteKeys {
  const key: IndexKey = encodeIndexKey([
    name,
    1_750_000_000_000 + n,
    `k57${n.toString(36).padStart(29, "0")}`,
  ]);
  return new Map([[INDEX, [key]]]);
}

/** Median cost of reading the clock twice: subtracted from every timed sample. */
function timerOverheadNs(): number {
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const start = process.hrtime.bigint();
    samples.push(Number(process.hrtime.bigint() - start));
  }
  return median(samples);
}

/** One size of part 2: N registered read sets and the write sets that stab them. */
interface Fixture {
  readonly size: number;
  readonly readSets: readonly ReadSet[];
  readonly index: SubscriptionIndex<number>;
  readonly registerMs: number;
  /** The read set each write set hits. */
  readonly targets: readonly number[];
  readonly writes: readonly WriteKeys[];
  readonly indexNs: Float64Array;
  correct: boolean;
}

function buildFixture(size: number, commits: number, seed: number): Fixture {
  const names = Array.from({ length: size }, (_, i) => `k${i}`);
  const readSets = names.map(pointReadSet);
  const index = new SubscriptionIndex<number>();
  const registerStart = performance.now();
  readSets.forEach((readSet, i) => index.add(i, readSet));
  const registerMs = performance.now() - registerStart;
  const next = random(seed);
  const targets = Array.from({ length: commits }, () => Math.floor(next() * size));
  return {
    size,
    readSets,
    index,
    registerMs,
    targets,
    writes: targets.map((target, n) => writeSet(names[target] as string, n)),
    indexNs: new Float64Array(commits),
    correct: index.intervalCount() === size,
  };
}

/** Times `invalidated()` for write sets `[from, to)` of `fixture`. */
function timeIndex(fixture: Fixture, from: number, to: number, overheadNs: number): void {
  const { index, writes, targets, indexNs } = fixture;
  for (let i = from; i < to; i++) {
    const write = writes[i] as WriteKeys;
    const start = process.hrtime.bigint();
    const hit = index.invalidated(write);
    indexNs[i] = Number(process.hrtime.bigint() - start) - overheadNs;
    if (hit.size !== 1 || !hit.has(targets[i] as number)) fixture.correct = false;
  }
}

/** Times a linear scan of every read set for the first `scans` write sets of `fixture`. */
function timeScan(fixture: Fixture, scans: number, overheadNs: number): Float64Array {
  const { readSets, writes, targets } = fixture;
  const scanNs = new Float64Array(scans);
  for (let i = 0; i < scans; i++) {
    const write = writes[i] as WriteKeys;
    const start = process.hrtime.bigint();
    const hit: number[] = [];
    for (let r = 0; r < readSets.length; r++) {
      if ((readSets[r] as ReadSet).firstOverlap(write) !== null) hit.push(r);
    }
    scanNs[i] = Number(process.hrtime.bigint() - start) - overheadNs;
    if (hit.length !== 1 || hit[0] !== targets[i]) fixture.correct = false;
  }
  return scanNs;
}

function cost(options: InvalidationOptions): CostRow[] {
  log(
    `-- Part 2: per-commit invalidation cost on SubscriptionIndex (in process): N point read sets on ` +
      `${INDEX}, ${formatCount(options.commits)} single-key write sets per N (each hitting one read set, ` +
      `chosen at random), vs a linear scan of all N read sets (readSet.firstOverlap) --`,
  );
  const overheadNs = timerOverheadNs();
  const fixtures = options.sizes.map((size, i) => buildFixture(size, options.commits, 1000 + i));
  timeIndexInRounds(fixtures, options.commits, overheadNs);
  const measured = fixtures.map((fixture) =>
    scanAndSummarize(fixture, options.commits, overheadNs),
  );
  const rows = measured.map(({ row }) => row);
  logCostTable(measured);
  log(
    `(ns per commit, net of ${formatCount(overheadNs)} ns of clock reads per sample; "exact hits": ` +
      `every commit found exactly its one read set, by both methods)`,
  );
  logFlatness(rows);
  return rows;
}

/**
 * Warms up every size, then times them in interleaved rounds, so that a change in machine load
 * during the run is spread over all sizes instead of landing on one.
 */
function timeIndexInRounds(
  fixtures: readonly Fixture[],
  commits: number,
  overheadNs: number,
): void {
  for (const fixture of fixtures) {
    for (let i = 0; i < WARMUP_CALLS; i++) {
      fixture.index.invalidated(fixture.writes[i % fixture.writes.length] as WriteKeys);
    }
  }
  for (let from = 0; from < commits; from += ROUND_CALLS) {
    const to = Math.min(commits, from + ROUND_CALLS);
    for (const fixture of fixtures) timeIndex(fixture, from, to, overheadNs);
  }
}

/** One size's row: its timed index calls, beside a linear scan timed now (within `SCAN_BUDGET`). */
interface MeasuredSize {
  readonly fixture: Fixture;
  readonly scans: number;
  readonly row: CostRow;
}

function scanAndSummarize(fixture: Fixture, commits: number, overheadNs: number): MeasuredSize {
  const scans = Math.max(20, Math.min(commits, Math.floor(SCAN_BUDGET / fixture.size)));
  const scanNs = [...timeScan(fixture, scans, overheadNs)];
  const indexNs = [...fixture.indexNs];
  const row: CostRow = {
    size: fixture.size,
    indexMedianNs: median(indexNs),
    indexP99Ns: percentile(indexNs, 99),
    scanMedianNs: median(scanNs),
    scanP99Ns: percentile(scanNs, 99),
    correct: fixture.correct,
  };
  return { fixture, scans, row };
}

function logCostTable(measured: readonly MeasuredSize[]): void {
  log();
  log(
    formatTable(
      [
        "read sets",
        "register ms",
        "index median ns",
        "index p99 ns",
        "scans",
        "scan median ns",
        "scan p99 ns",
        "scan/index",
        "exact hits",
      ],
      measured.map(({ fixture, scans, row }) => [
        formatCount(fixture.size),
        formatMs(fixture.registerMs),
        formatCount(row.indexMedianNs),
        formatCount(row.indexP99Ns),
        formatCount(scans),
        formatCount(row.scanMedianNs),
        formatCount(row.scanP99Ns),
        `${formatCount(row.scanMedianNs / row.indexMedianNs)}x`,
        row.correct ? "yes" : "NO",
      ]),
    ),
  );
  log();
}

/** The largest size's cost over the smallest's, against `FLAT_TARGET` (with two sizes or more). */
function logFlatness(rows: readonly CostRow[]): void {
  const smallest = rows[0];
  const largest = rows[rows.length - 1];
  if (smallest === undefined || largest === undefined || largest === smallest) return;
  const medianRatio = largest.indexMedianNs / smallest.indexMedianNs;
  const p99Ratio = largest.indexP99Ns / smallest.indexP99Ns;
  const scanRatio = largest.scanMedianNs / smallest.scanMedianNs;
  const label = `${formatCount(largest.size)}/${formatCount(smallest.size)}`;
  log(
    `index cost ratio ${label}: median ${medianRatio.toFixed(2)}x, p99 ${p99Ratio.toFixed(2)}x ` +
      `(target: within ${FLAT_TARGET}x: ${medianRatio <= FLAT_TARGET ? "met" : "NOT met"}); ` +
      `linear scan ratio: ${scanRatio.toFixed(1)}x`,
  );
}

/** Runs both parts and prints them. */
export async function invalidation(
  options: InvalidationOptions = DEFAULT_INVALIDATION_OPTIONS,
): Promise<{ precision: PrecisionResult; cost: CostRow[] }> {
  log(
    `== Invalidation: precision (sync protocol, end to end) and per-commit cost (SubscriptionIndex) ==`,
  );
  log();
  const precisionResult = await precision(options);
  log();
  const costRows = cost(options);
  log();
  if (!precisionResult.pass || costRows.some((row) => !row.correct)) process.exitCode = 1;
  return { precision: precisionResult, cost: costRows };
}

function parseOptions(argv: readonly string[]): InvalidationOptions {
  const defaults = DEFAULT_INVALIDATION_OPTIONS;
  const { values } = parseArgs({
    args: [...argv],
    options: {
      subscriptions: { type: "string" },
      connections: { type: "string" },
      mutations: { type: "string" },
      concurrency: { type: "string" },
      burst: { type: "boolean" },
      client: { type: "string" },
      durability: { type: "string" },
      sizes: { type: "string" },
      commits: { type: "string" },
    },
    strict: true,
  });
  const durability = parseDurability(values.durability, defaults.durability);
  const options: InvalidationOptions = {
    subscriptions: positiveCount("subscriptions", values.subscriptions, defaults.subscriptions),
    connections: positiveCount("connections", values.connections, defaults.connections),
    mutations: positiveCount("mutations", values.mutations, defaults.mutations),
    concurrency: positiveCount("concurrency", values.concurrency, defaults.concurrency),
    burst: values.burst ?? defaults.burst,
    client: values.client === undefined ? defaults.client : parseSubscriberKind(values.client),
    durability,
    sizes:
      values.sizes === undefined
        ? defaults.sizes
        : values.sizes.split(",").map((text) => positiveCount("sizes", text, 0)),
    commits: positiveCount("commits", values.commits, defaults.commits),
  };
  if (options.mutations > options.subscriptions) {
    throw new Error(
      `--mutations (${options.mutations}) must not exceed --subscriptions (${options.subscriptions}): each mutation takes its own key`,
    );
  }
  if (Math.ceil(options.subscriptions / options.connections) > 10_000) {
    throw new Error(
      "at most 10,000 subscriptions per connection (the sync protocol's limit): raise --connections",
    );
  }
  return options;
}

/**
 * A generous upper bound of the run time: subscribing at 2 ms a query, mutating at 20 ms a
 * mutation; per size, registering and timing at 20 us a call, and the scans at 1 us a read set.
 */
export function expectedInvalidationMs(options: InvalidationOptions): number {
  const endToEnd = 10_000 + options.subscriptions * 2 + options.mutations * 20;
  const inProcess = options.sizes.reduce(
    (sum, size) =>
      sum +
      2_000 +
      (size + options.commits + WARMUP_CALLS) * 0.02 +
      Math.min(SCAN_BUDGET, size * options.commits) / 1_000,
    0,
  );
  return endToEnd + inProcess;
}

if (isEntryPoint(import.meta.url)) {
  const options = parseOptions(process.argv.slice(2));
  const stopWatchdog = startWatchdog(expectedInvalidationMs(options) * 2, "invalidation");
  await invalidation(options);
  stopWatchdog();
}
