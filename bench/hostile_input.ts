/**
 * Hostile input: what each attack costs the servers to refuse, and what a stream of hostile
 * documents leaves in the gateway's memory, beside ordinary traffic measured in the same run.
 *
 * 1. Refusal time (round trip from this process, sequential, `--samples` each) of the worst
 *    document of each kind within the 1 MiB body limit: a fragment chain (cost 2^n), aliases,
 *    selections nested as deep as the bytes allow, directives, fragment definitions, a JSON
 *    variable and a literal nested as deep as the bytes allow; and at the backend's HTTP API,
 *    arguments nested as deep as 1 MiB allows and 100 levels deep, and a 16 MB argument that fails
 *    validation. Beside them: an ordinary query through the gateway and at the backend, and a valid
 *    16 MB call. **Target: each refusal within 1 MiB under 50 ms at p99** (median and p99 printed;
 *    the machine is noisy, the ratio to the ordinary query too); the 16 MB refusal should cost no
 *    more than the valid 16 MB call (its error message is bounded).
 * 2. Memory: the gateway's RSS and heap after a full collection, at start, after `--documents`
 *    distinct ordinary documents, and after as many distinct hostile ones (rotating: a 1 MiB alias
 *    flood refused while parsing, a 1 MiB valid document that is cached, a 256 KiB fragment flood,
 *    a 30 KiB document over the cost limit), plus the peak RSS seen during the hostile stream
 *    (sampled every 100 documents, without forcing a collection: it includes the garbage V8 has
 *    not collected yet). **Ceilings: baseline + 256 MiB after a collection, + 512 MiB at peak.**
 *
 * Processes: the backend (`test/fixtures/hostile_app`) and the gateway each in a child of its own
 * (the gateway's runs with `--expose-gc`); the attacker here. It prints; it asserts nothing.
 *
 *   node cli/run_ts.js bench/hostile_input.ts [--samples 15] [--documents 10000] [--concurrency 4]
 */
import path from "node:path";
import { startEngineProcess } from "./support/engine_process.ts";
import { startServerProcess, type ServerProcess } from "./support/gateway_processes.ts";
import { median, percentile, tempDir } from "./support/harness.ts";
import { count, flag, runFromCommandLine, type Flags } from "./support/options.ts";
import { REPO_ROOT } from "./support/protocol.ts";
import { formatCount, formatMs, Report, verdict } from "./support/report.ts";
import {
  aliasFlood,
  directiveFlood,
  fragmentChain,
  fragmentFlood,
  nestedJsonText,
  nestedSelections,
  ordinaryDocument,
  paddedValidDocument,
} from "../test/utils/hostile_documents.ts";

export interface HostileInputOptions {
  /** Round trips per attack. @default 15 */
  readonly samples: number;
  /** Distinct documents in each memory stream (ordinary, then hostile). @default 10_000 */
  readonly documents: number;
  /** Requests in flight during the memory streams. @default 4 */
  readonly concurrency: number;
}

export const DEFAULT_HOSTILE_INPUT_OPTIONS: HostileInputOptions = {
  samples: 15,
  documents: 10_000,
  concurrency: 4,
};

const FLAGS: Flags<HostileInputOptions> = {
  samples: flag("samples", count),
  documents: flag("documents", count),
  concurrency: flag("concurrency", count),
};

/** A rough upper bound of the run time, for `run_all.ts`'s watchdog. */
export function expectedHostileInputMs(options: HostileInputOptions): number {
  return 30_000 + options.samples * 14 * 200 + options.documents * 30;
}

const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "hostile_app");
const MAX_DOCUMENT = 1_048_576 - 1_024;
const MiB = 1024 * 1024;

interface Attack {
  readonly name: string;
  readonly target: "gateway" | "backend";
  /** A baseline is the reference of the rows after it; an attack has the 50 ms target. */
  readonly role: "baseline" | "attack" | "oversize";
  /** The request body (built once). */
  readonly body: string;
}

/** A GraphQL request body with `query` as is (JSON-escaped) and optional raw variables. */
function graphqlBody(query: string, rawVariables?: string): string {
  const variables = rawVariables === undefined ? "" : `,"variables":${rawVariables}`;
  return `{"query":${JSON.stringify(query)}${variables}}`;
}

/** Levels of `[` that fit in `bytes` of text with room for the rest of the request. */
function levelsIn(bytes: number): number {
  return Math.floor((bytes - 200) / 2);
}

function attacks(): Attack[] {
  const role = (name: string): Attack["role"] =>
    name.includes("baseline") ? "baseline" : name.includes("16 MB") ? "oversize" : "attack";
  const gateway = (name: string, body: string): Attack => ({
    name,
    target: "gateway",
    role: role(name),
    body,
  });
  const backend = (name: string, args: string): Attack => ({
    name,
    target: "backend",
    role: role(name),
    body: `{"path":"probe:typed","args":${args},"format":"convex_encoded_json"}`,
  });
  return [
    gateway("ordinary query (baseline)", graphqlBody(`{ probeTyped(name: "x") }`)),
    gateway("fragment chain, 40 (cost 2^40)", graphqlBody(fragmentChain(40))),
    gateway("fragment chain, 499 (cost 2^499)", graphqlBody(fragmentChain(499))),
    gateway("aliases, 1 MiB", graphqlBody(aliasFlood(MAX_DOCUMENT, "a"))),
    gateway("aliases over the cost limit, 30 KiB", graphqlBody(aliasFlood(30_000, "c"))),
    gateway("nested selections, 1 MiB", graphqlBody(nestedSelections(levelsIn(MAX_DOCUMENT) / 2))),
    gateway("directives, 1 MiB", graphqlBody(directiveFlood(MAX_DOCUMENT))),
    gateway("fragment definitions, 1 MiB", graphqlBody(fragmentFlood(MAX_DOCUMENT, "f"))),
    gateway(
      "nested JSON variable, 1 MiB",
      graphqlBody(
        "query($v: JSON!) { probeDepth(value: $v) }",
        `{"v":${nestedJsonText(levelsIn(MAX_DOCUMENT))}}`,
      ),
    ),
    gateway(
      "nested JSON literal, 1 MiB",
      graphqlBody(`{ probeDepth(value: ${nestedJsonText(levelsIn(MAX_DOCUMENT))}) }`),
    ),
    backend("ordinary call (baseline)", `{"name":"x"}`),
    backend("nested arguments, 1 MiB", `{"name":${nestedJsonText(levelsIn(MAX_DOCUMENT))}}`),
    backend("nested arguments, 100 levels", `{"name":${nestedJsonText(100)}}`),
    backend("16 MB valid argument (baseline for the next)", `{"name":"${"x".repeat(16_000_000)}"}`),
    backend("16 MB invalid argument", `{"name":["${"x".repeat(16_000_000)}"]}`),
  ];
}

async function roundTrip(url: string, body: string): Promise<number> {
  const started = performance.now();
  const answer = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await answer.text();
  if (answer.status >= 500) throw new Error(`HTTP ${answer.status}: ${text.slice(0, 200)}`);
  return performance.now() - started;
}

async function measureRefusals(
  urls: { gateway: string; backend: string },
  samples: number,
): Promise<string[][]> {
  const rows: string[][] = [];
  let baseline = Number.NaN;
  for (const attack of attacks()) {
    const url = attack.target === "gateway" ? urls.gateway : `${urls.backend}/api/query`;
    await roundTrip(url, attack.body); // warm-up
    const times: number[] = [];
    for (let index = 0; index < samples; index++) times.push(await roundTrip(url, attack.body));
    const p50 = median(times);
    const p99 = percentile(times, 99);
    // Each baseline row is the reference of the rows after it.
    if (attack.role === "baseline") baseline = p50;
    rows.push([
      attack.target,
      attack.name,
      formatMs(p50),
      formatMs(p99),
      `${(p50 / baseline).toFixed(1)}x`,
      attack.role === "attack" ? verdict(p99 < 50) : "",
    ]);
  }
  return rows;
}

/** Sends `count` documents made by `make(index)` with `concurrency` in flight; returns the peak RSS. */
async function stream(
  gateway: ServerProcess,
  count: number,
  concurrency: number,
  make: (index: number) => string,
): Promise<number> {
  let next = 0;
  let peak = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      await roundTrip(gateway.url, graphqlBody(make(index)));
      if (index % 100 === 99) peak = Math.max(peak, (await gateway.stats(false)).memory.rss);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return peak;
}

function hostileDocument(index: number, tag: string): string {
  switch (index % 4) {
    case 0:
      return aliasFlood(MAX_DOCUMENT, tag);
    case 1:
      return paddedValidDocument(MAX_DOCUMENT, tag);
    case 2:
      return fragmentFlood(256 * 1024, tag);
    default:
      return aliasFlood(30_000, tag);
  }
}

async function measureMemory(
  gateway: ServerProcess,
  options: HostileInputOptions,
): Promise<string[][]> {
  const row = (name: string, memory: { rss: number; heapUsed: number }, base: number): string[] => [
    name,
    formatCount(memory.rss / MiB),
    formatCount(memory.heapUsed / MiB),
    `${memory.rss >= base ? "+" : ""}${formatCount((memory.rss - base) / MiB)}`,
  ];
  const start = (await gateway.stats(true)).memory;
  const rows = [row("start", start, start.rss)];
  const seed = Date.now();
  await stream(gateway, options.documents, options.concurrency, (index) =>
    ordinaryDocument(`${seed}_${index}`),
  );
  rows.push(
    row(
      `after ${formatCount(options.documents)} ordinary documents`,
      (await gateway.stats(true)).memory,
      start.rss,
    ),
  );
  const peak = await stream(gateway, options.documents, options.concurrency, (index) =>
    hostileDocument(index, `h${seed}_${index}_`),
  );
  const after = (await gateway.stats(true)).memory;
  const growth = (grown: number, ceilingMiB: number): string =>
    `+${formatCount(grown / MiB)} (ceiling +${ceilingMiB}: ${verdict(grown < ceilingMiB * MiB)})`;
  rows.push([
    `after ${formatCount(options.documents)} hostile documents`,
    formatCount(after.rss / MiB),
    formatCount(after.heapUsed / MiB),
    growth(after.rss - start.rss, 256),
  ]);
  rows.push([
    "peak RSS during the hostile stream",
    formatCount(peak / MiB),
    "-",
    growth(peak - start.rss, 512),
  ]);
  return rows;
}

export async function hostileInput(options: HostileInputOptions): Promise<void> {
  const report = new Report();
  report.heading(
    `Hostile input: refusal time per attack (${options.samples} samples each), gateway memory ` +
      `after ${formatCount(options.documents)} ordinary and hostile documents`,
  );
  await using data = tempDir("bench-hostile-");
  await using backend = await startEngineProcess({
    dataFile: path.join(data.path, "data.sqlite3"),
    durability: "full",
    dir: APP_DIR,
  });
  await using gateway = await startServerProcess("gateway", backend.url, APP_DIR);
  const refusals = await measureRefusals(
    { gateway: gateway.url, backend: backend.url },
    options.samples,
  );
  report.line(`Refusal round trips (${options.samples} each, ms):`);
  report.table(["target", "input", "p50", "p99", "vs baseline", "under 50 ms"], refusals);
  const memory = await measureMemory(gateway, options);
  report.line(`Gateway memory after full collections (MiB):`);
  report.table(["when", "RSS", "heap", "RSS vs start"], memory);
  report.finish();
}

await runFromCommandLine(import.meta.url, {
  name: "bench/hostile_input",
  defaults: DEFAULT_HOSTILE_INPUT_OPTIONS,
  flags: FLAGS,
  expectedMs: expectedHostileInputMs,
  run: hostileInput,
});
