/**
 * Small pieces every benchmark uses: temp folders, closed-loop callers and statistics. The
 * command line is `options.ts`, the printed report `report.ts`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

// For the benchmarks that still import these from here (commit_throughput.ts, invalidation.ts).
export { isEntryPoint, parseDurability, positiveCount, startWatchdog } from "./options.ts";
export { describeMachine, formatCount, formatMs, formatPercent, formatTable } from "./report.ts";

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
