/**
 * Action overhead: an action that does nothing but one `ctx.runQuery`, beside the same query
 * called directly, both with `ConvexHttpClient` (`POST /api/action`, `POST /api/query`) against
 * the backend in a child process (`test/fixtures/action_bench_app`, 20 documents read). Paths run
 * sequentially and with `--in-flight` concurrent callers, in interleaved rounds after a warm-up.
 * It prints p50/p99 per path and the ratio action/query at p50: what running a function as an
 * action costs (its own context, no query cache, a nested query execution). It asserts nothing.
 *
 *   node cli/run_ts.js bench/action_overhead.ts [--calls 1000] [--in-flight 8] [--rounds 5]
 */
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { startEngineProcess } from "./support/engine_process.ts";
import { percentile, runCountedLoad, tempDir } from "./support/harness.ts";
import { count, flag, runFromCommandLine, type Flags } from "./support/options.ts";
import { REPO_ROOT } from "./support/protocol.ts";
import { formatMs, formatRatio, Report } from "./support/report.ts";

export interface ActionOverheadOptions {
  /** Calls per path and mode, over all rounds. @default 1_000 */
  readonly calls: number;
  /** Concurrent callers in the concurrent mode. @default 8 */
  readonly inFlight: number;
  /** Interleaved rounds. @default 5 */
  readonly rounds: number;
}

export const DEFAULT_ACTION_OVERHEAD_OPTIONS: ActionOverheadOptions = {
  calls: 1_000,
  inFlight: 8,
  rounds: 5,
};

const FLAGS: Flags<ActionOverheadOptions> = {
  calls: flag("calls", count),
  inFlight: flag("in-flight", count),
  rounds: flag("rounds", count),
};

/** A rough upper bound of the run time, for `run_all.ts`'s watchdog. */
export function expectedActionOverheadMs(options: ActionOverheadOptions): number {
  return 20_000 + options.calls * 4 * 10;
}

const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "action_bench_app");
const COUNT = makeFunctionReference<"query", Record<string, never>, number>("bench:count");
const COUNT_VIA_ACTION = makeFunctionReference<"action", Record<string, never>, number>(
  "bench:countViaAction",
);
const SEED = makeFunctionReference<"mutation", { count: number }, null>("bench:seed");

type Path = "query" | "action";

async function callOnce(client: ConvexHttpClient, which: Path): Promise<boolean> {
  const value =
    which === "query" ? await client.query(COUNT, {}) : await client.action(COUNT_VIA_ACTION, {});
  if (value !== 20) throw new Error(`${which} answered ${value}, expected 20`);
  return true;
}

async function measure(
  client: ConvexHttpClient,
  options: ActionOverheadOptions,
): Promise<Map<string, number[]>> {
  const latencies = new Map<string, number[]>();
  const perRound = Math.max(1, Math.floor(options.calls / options.rounds));
  for (let round = 0; round < options.rounds; round++) {
    const paths: Path[] = round % 2 === 0 ? ["query", "action"] : ["action", "query"];
    for (const which of paths) {
      for (const [mode, callers] of [
        ["sequential", 1],
        [`${options.inFlight} in flight`, options.inFlight],
      ] as const) {
        const result = await runCountedLoad({
          callers,
          total: perRound,
          call: () => callOnce(client, which),
        });
        const key = `${which}\u0000${mode}`;
        latencies.set(key, [...(latencies.get(key) ?? []), ...result.latenciesMs]);
      }
    }
  }
  return latencies;
}

export async function actionOverhead(options: ActionOverheadOptions): Promise<void> {
  const report = new Report();
  report.heading(
    `Action overhead: an action doing one ctx.runQuery vs that query, ${options.calls} calls ` +
      `per path and mode`,
  );
  await using data = tempDir("bench-action-");
  await using backend = await startEngineProcess({
    dataFile: path.join(data.path, "data.sqlite3"),
    durability: "full",
    dir: APP_DIR,
  });
  const client = new ConvexHttpClient(backend.url, { logger: false });
  await client.mutation(SEED, { count: 20 });
  for (let index = 0; index < 50; index++) {
    await callOnce(client, "query");
    await callOnce(client, "action");
  }
  const latencies = await measure(client, options);
  const rows: string[][] = [];
  for (const mode of ["sequential", `${options.inFlight} in flight`]) {
    const query = latencies.get(`query\u0000${mode}`) ?? [];
    const action = latencies.get(`action\u0000${mode}`) ?? [];
    const ratio = percentile(action, 50) / percentile(query, 50);
    rows.push([
      mode,
      "query (direct)",
      formatMs(percentile(query, 50)),
      formatMs(percentile(query, 99)),
      "",
    ]);
    rows.push([
      mode,
      "action doing that query",
      formatMs(percentile(action, 50)),
      formatMs(percentile(action, 99)),
      formatRatio(ratio),
    ]);
  }
  report.line(`Latency (ms), ${options.calls} calls per path and mode:`);
  report.table(["mode", "path", "p50", "p99", "action/query p50"], rows);
  report.finish();
}

await runFromCommandLine(import.meta.url, {
  name: "bench/action_overhead",
  defaults: DEFAULT_ACTION_OVERHEAD_OPTIONS,
  flags: FLAGS,
  expectedMs: expectedActionOverheadMs,
  run: actionOverhead,
});
