import type { Durability } from "../../engine/index.ts";
/**
 * Small pieces every benchmark uses: temp folders, a watchdog, "am I the entry point", closed-loop
 * callers, statistics and a plain-text table.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

/** A fresh temp folder, removed (with everything in it) on dispose. */
export function tempDir(prefix: string): { readonly path: string } & AsyncDisposable {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    path: dir,
    async [Symbol.asyncDispose]() {
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One line about the machine: Node version, CPUs, load average and the temp folder. A load
 * average near or above the CPU count means other work competes with the benchmark.
 */
export function describeMachine(): string {
  const cpus = os.cpus();
  const [load1 = 0] = os.loadavg();
  const busy = load1 >= cpus.length ? " (busy machine: expect noisy numbers)" : "";
  return (
    `node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model ?? "?"}), ` +
    `load average ${load1.toFixed(2)}${busy}, temp ${os.tmpdir()}`
  );
}

/** True when the module at `moduleUrl` is the file given to `node cli/run_ts.js FILE`. */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(path.resolve(entry)).href === moduleUrl;
}

/**
 * Ends the process with code 1 if it still runs after `ms`: a benchmark must never hang. The
 * timer does not keep the process alive; engine children exit when their channel closes.
 */
export function startWatchdog(ms: number, what: string): () => void {
  const timer = setTimeout(() => {
    process.stderr.write(`${what}: still running after ${Math.round(ms / 1000)} s, giving up\n`);
    process.exit(1);
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * A command-line count: `--name 10_000` (underscores and commas allowed); `fallback` when absent.
 * @throws Error naming the flag when it is not a positive integer.
 */
export function positiveCount(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new Error(`--${name}: a value is required`);
    return fallback;
  }
  const value = Number(text.replaceAll("_", "").replaceAll(",", ""));
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`--${name}: expected a positive integer, got ${text}`);
  }
  return value;
}

/** `--durability full|normal`; `fallback` when absent. */
export function parseDurability(text: string | undefined, fallback: Durability): Durability {
  const durability = text ?? fallback;
  if (durability !== "full" && durability !== "normal") {
    throw new Error(`--durability: expected full or normal, got ${JSON.stringify(durability)}`);
  }
  return durability;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface TimedLoadOptions {
  readonly callers: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One call of caller `caller`; resolves to true on success, false on a function failure. */
  readonly call: (caller: number) => Promise<boolean>;
  /** Called at the start and at the end of the measured window (e.g. to snapshot stats). */
  readonly onWindow?: (edge: "start" | "end") => Promise<void>;
}

export interface LoadResult {
  /** Successful calls that completed inside the measured window. */
  readonly succeeded: number;
  /** Failed calls that completed inside the measured window. */
  readonly failed: number;
  readonly elapsedMs: number;
  /** Successful calls per second in the window. */
  readonly perSecond: number;
  /** Latencies (ms) of the calls that started inside the window. */
  readonly latenciesMs: readonly number[];
}

/**
 * Closed-loop load: `callers` loops, each awaiting one call after the other, for warm-up +
 * duration. Calls still in flight at the end are awaited (not counted) before this resolves.
 */
export async function runTimedLoad(options: TimedLoadOptions): Promise<LoadResult> {
  let phase: "warmup" | "measure" | "done" = "warmup";
  let windowStart = 0;
  let succeeded = 0;
  let failed = 0;
  const latenciesMs: number[] = [];

  const loop = async (caller: number): Promise<void> => {
    while (phase !== "done") {
      const started = performance.now();
      const ok = await options.call(caller);
      if (phase !== "measure") continue;
      if (ok) succeeded++;
      else failed++;
      if (started >= windowStart) latenciesMs.push(performance.now() - started);
    }
  };
  const loops = Array.from({ length: options.callers }, (_, caller) => loop(caller));
  // A failing caller (a thrown error, not a failed function) ends the run at once.
  const firstError = Promise.race(loops).then(() => new Promise<never>(() => {}));

  const window = async (): Promise<LoadResult> => {
    await sleep(options.warmupMs);
    await options.onWindow?.("start");
    phase = "measure";
    windowStart = performance.now();
    await sleep(options.durationMs);
    const elapsedMs = performance.now() - windowStart;
    const counted = { succeeded, failed };
    phase = "done";
    await options.onWindow?.("end");
    return {
      ...counted,
      elapsedMs,
      perSecond: (counted.succeeded * 1000) / elapsedMs,
      latenciesMs: [...latenciesMs],
    };
  };
  try {
    return await Promise.race([window(), firstError]);
  } finally {
    phase = "done";
    await Promise.allSettled(loops);
  }
}

export interface CountedLoadOptions {
  readonly callers: number;
  /** Calls in total, shared out to whichever caller is free. */
  readonly total: number;
  /** Call number `index` (0-based) made by caller `caller`; resolves to true on success. */
  readonly call: (caller: number, index: number) => Promise<boolean>;
}

export interface CountedLoadResult {
  readonly succeeded: number;
  readonly failed: number;
  /** Successful calls per caller. */
  readonly succeededByCaller: readonly number[];
  readonly elapsedMs: number;
  readonly perSecond: number;
  readonly latenciesMs: readonly number[];
}

/** Closed-loop load of a fixed number of calls over `callers` loops. */
export async function runCountedLoad(options: CountedLoadOptions): Promise<CountedLoadResult> {
  let issued = 0;
  let failed = 0;
  const succeededByCaller = Array.from({ length: options.callers }, () => 0);
  const latenciesMs: number[] = [];
  const loop = async (caller: number): Promise<void> => {
    while (issued < options.total) {
      const index = issued++;
      const started = performance.now();
      let ok: boolean;
      try {
        ok = await options.call(caller, index);
      } catch (error) {
        issued = options.total; // a transport error ends every loop, not just this one
        throw error;
      }
      latenciesMs.push(performance.now() - started);
      if (ok) succeededByCaller[caller] = (succeededByCaller[caller] ?? 0) + 1;
      else failed++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: options.callers }, (_, caller) => loop(caller)));
  const elapsedMs = performance.now() - start;
  const succeeded = succeededByCaller.reduce((sum, n) => sum + n, 0);
  return {
    succeeded,
    failed,
    succeededByCaller,
    elapsedMs,
    perSecond: (succeeded * 1000) / elapsedMs,
    latenciesMs,
  };
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The nearest-rank percentile `p` (0..100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** `1234.5` -> `"1,235"`. */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-";
}

/** `0.2173` -> `"21.7%"`. */
export function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : "-";
}

/** `3.14159` -> `"3.14"`. */
export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 2 : 1) : "-";
}

/** A plain-text table: a header row, a rule, then the rows; numbers-looking cells align right. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const numeric = (cell: string): boolean => /^[-+]?[\d,.]+(%| ms)?$/.test(cell) || cell === "-";
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? cell.length;
        return numeric(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(" | ")
      .trimEnd();
  return [
    line(header),
    widths.map((width) => "-".repeat(width)).join("-+-"),
    ...rows.map(line),
  ].join("\n");
}
