/**
 * Relations through the gateway against a hand-written join, in one run, on the typed fixture
 * app (test/fixtures/typed_app) seeded with 100 posts by 10 authors:
 *
 * - `gateway`: `{ postsList(first: 100) { edges { node { title authorDoc { name } } } } }` over
 *   `fetch`: one page query and one `authors` read per distinct author (batched per operation),
 *   answered from the warm upstream subscriptions after the first request (the default);
 * - `gateway no-cache`: the same with `Cache-Control: no-cache`: a read at the backend's latest
 *   timestamp. The identity's session holds the page and the authors, so the gateway answers from
 *   them once one `/api/query_ts` proved them that recent (upstream/warm_read.ts);
 * - `gateway new page`: `Cache-Control: no-cache` and a page the gateway never read (`first`
 *   differs on every request, 101..1000; with 100 posts each answer is the same 100): the page is
 *   a new subscription on the session's socket, executed by Convex, whose Transition also proves
 *   the answer fresh; the authors were read before (the usual case: targets recur);
 * - `direct join`: `ConvexHttpClient.query("posts:recentWithAuthors", { count: 100 })`, the join
 *   written in the function (one `/api/query`).
 *
 * Requests run one at a time, in interleaved rounds after a warm-up. It prints p50/p99 per path
 * and the p50 ratio of each gateway path to the direct join (the target: at most 1.5x).
 * Every answer is checked (100 posts, each with its author's name).
 *
 *   node cli/run_ts.js bench/relations.ts [--requests 300] [--rounds 5]
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { startEngineProcess } from "./support/engine_process.ts";
import { startServerProcess } from "./support/gateway_processes.ts";
import {
  describeMachine,
  formatMs,
  formatTable,
  isEntryPoint,
  percentile,
  positiveCount,
  startWatchdog,
  tempDir,
} from "./support/harness.ts";

const APP_DIR = path.resolve(import.meta.dirname, "..", "test", "fixtures", "typed_app");
const QUERY =
  "query ($first: Int!) { postsList(first: $first) { edges { node { title authorDoc { name } } } } }";

const api = {
  createAuthor: makeFunctionReference<"mutation", { name: string }, string>("authors:create"),
  createPost: makeFunctionReference<
    "mutation",
    { title: string; body: string; author: string; tags: string[] },
    string
  >("posts:create"),
  join: makeFunctionReference<
    "query",
    { count: number },
    { title: string; author: { name: string } | null }[]
  >("posts:recentWithAuthors"),
};

async function seed(client: ConvexHttpClient): Promise<void> {
  const authors: string[] = [];
  for (let i = 0; i < 10; i++)
    authors.push(await client.mutation(api.createAuthor, { name: `a${i}` }));
  for (let i = 0; i < 100; i++) {
    const author = authors[i % 10] ?? "";
    await client.mutation(api.createPost, { title: `p${i}`, body: "b", author, tags: [] });
  }
}

type Path = "gateway" | "gateway no-cache" | "gateway new page" | "direct join";

function check(what: Path, rows: readonly { author: { name: string } | null }[]): void {
  if (rows.length !== 100 || rows.some((row) => row.author === null))
    throw new Error(`${what}: expected 100 posts with authors`);
}

function caller(gatewayUrl: string, client: ConvexHttpClient): Record<Path, () => Promise<void>> {
  let pages = 0;
  const newPage = (): number => 101 + (pages++ % 900);
  const viaGateway =
    (what: Path, headers: Record<string, string>, first: () => number = () => 100) =>
    async () => {
      const response = await fetch(gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query: QUERY, variables: { first: first() } }),
      });
      const body = (await response.json()) as {
        data?: { postsList: { edges: { node: { authorDoc: { name: string } | null } }[] } };
      };
      check(
        what,
        (body.data?.postsList.edges ?? []).map((edge) => ({ author: edge.node.authorDoc })),
      );
    };
  return {
    gateway: viaGateway("gateway", {}),
    "gateway no-cache": viaGateway("gateway no-cache", { "cache-control": "no-cache" }),
    "gateway new page": viaGateway("gateway new page", { "cache-control": "no-cache" }, newPage),
    "direct join": async () => check("direct join", await client.query(api.join, { count: 100 })),
  };
}

export interface RelationsOptions {
  /** Timed requests per path. */
  readonly requests: number;
  /** Interleaved rounds they are spread over. */
  readonly rounds: number;
}

export const DEFAULT_RELATIONS_OPTIONS: RelationsOptions = { requests: 300, rounds: 5 };

/** About how long `runRelations` takes: start-up and seeding, then ~10 ms per request. */
export function expectedRelationsMs(options: RelationsOptions): number {
  return 15_000 + 4 * (options.requests + 20) * 10;
}

export async function runRelations(options: RelationsOptions): Promise<void> {
  process.stdout.write(`relations vs a hand-written join: ${describeMachine()}\n`);
  await using data = tempDir("bench-relations-");
  await using engine = await startEngineProcess({
    dataFile: path.join(data.path, "data.sqlite3"),
    durability: "normal",
    dir: APP_DIR,
  });
  await using gateway = await startServerProcess("gateway", engine.url, APP_DIR);
  const client = new ConvexHttpClient(engine.url, { logger: false });
  await seed(client);
  const paths = caller(gateway.url, client);
  const names = Object.keys(paths) as Path[];
  const samples = new Map<Path, number[]>(names.map((name) => [name, []]));
  for (const name of names) for (let i = 0; i < 20; i++) await paths[name](); // warm-up
  const perRound = Math.ceil(options.requests / options.rounds);
  for (let round = 0; round < options.rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as Path);
    for (const name of order) {
      for (let i = 0; i < perRound; i++) {
        const started = performance.now();
        await paths[name]();
        samples.get(name)?.push(performance.now() - started);
      }
    }
  }
  const join = percentile(samples.get("direct join") ?? [], 50);
  const rows = names.map((name) => {
    const values = samples.get(name) ?? [];
    const p50 = percentile(values, 50);
    return [name, formatMs(p50), formatMs(percentile(values, 99)), `${(p50 / join).toFixed(2)}x`];
  });
  process.stdout.write(formatTable(["path", "p50", "p99", "p50 / direct join"], rows));
}

if (isEntryPoint(import.meta.url)) {
  const { values } = parseArgs({
    options: { requests: { type: "string" }, rounds: { type: "string" } },
  });
  const stop = startWatchdog(20 * 60_000, "relations");
  await runRelations({
    requests: positiveCount("--requests", values.requests, DEFAULT_RELATIONS_OPTIONS.requests),
    rounds: positiveCount("--rounds", values.rounds, DEFAULT_RELATIONS_OPTIONS.rounds),
  });
  stop();
}
