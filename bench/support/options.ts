/**
 * The benchmarks' one command line: each benchmark declares its flags beside its defaults
 * (`flag("in-flight", count)`), and `runFromCommandLine` parses them, arms a watchdog and runs it
 * when its file is the one given to `node cli/run_ts.js`.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Durability } from "../../engine/index.ts";

/** Reads one flag's text; throws an Error naming `label` (e.g. `--callers`) when it is invalid. */
export type Reader<V> = (text: string, label: string) => V;

/** One command-line flag of an option: `--name TEXT`, read by `read`. */
export interface Flag<V> {
  readonly name: string;
  readonly read: Reader<V>;
}

export function flag<V>(name: string, read: Reader<V>): Flag<V> {
  return { name, read };
}

/** A positive integer: `10_000` or `10,000` (underscores and commas allowed). */
export const count: Reader<number> = (text, label) => {
  const value = Number(text.replaceAll("_", "").replaceAll(",", ""));
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${label}: expected a positive integer, got ${text}`);
  }
  return value;
};

/** One of `choices`, exactly as written. */
export function oneOf<const C extends string>(...choices: readonly C[]): Reader<C> {
  return (text, label) => {
    if ((choices as readonly string[]).includes(text)) return text as C;
    throw new Error(`${label}: expected ${choices.join(" or ")}, got ${JSON.stringify(text)}`);
  };
}

/** A comma-separated list of what `read` reads: `--subscribers 1,1000`. */
export function listOf<V>(read: Reader<V>): Reader<readonly V[]> {
  return (text, label) => text.split(",").map((item) => read(item, label));
}

/** `full` or `normal` (SQLite's `synchronous`). */
export const durability: Reader<Durability> = oneOf("full", "normal");

/** The flags of every option of `O`. */
export type Flags<O> = { readonly [K in keyof O]: Flag<O[K]> };

/** `argv` read against `flags`; an option whose flag is absent keeps its default. */
export function parseOptions<O extends object>(
  argv: readonly string[],
  defaults: O,
  flags: Flags<O>,
): O {
  const entries = Object.entries(flags) as [keyof O & string, Flag<unknown>][];
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(entries.map(([, { name }]) => [name, { type: "string" as const }])),
    strict: true,
  });
  const options = { ...defaults };
  for (const [key, { name, read }] of entries) {
    const text = values[name];
    if (typeof text === "string") options[key] = read(text, `--${name}`) as O[typeof key];
  }
  return options;
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

/** What {@link runFromCommandLine} needs of a benchmark. */
export interface Benchmark<O extends object> {
  /** Names the benchmark in the watchdog's message. */
  readonly name: string;
  readonly defaults: O;
  readonly flags: Flags<O>;
  /** A generous upper bound of one run with `options`; the watchdog fires at twice it. // ms */
  readonly expectedMs: (options: O) => number;
  readonly run: (options: O) => Promise<unknown>;
}

/**
 * When `moduleUrl` is the entry point: parses the command line, runs the benchmark under a
 * watchdog (twice its expected time) and resolves when it is done. Otherwise does nothing (the
 * module was imported, e.g. by `run_all.ts`).
 */
export async function runFromCommandLine<O extends object>(
  moduleUrl: string,
  benchmark: Benchmark<O>,
): Promise<void> {
  if (!isEntryPoint(moduleUrl)) return;
  const options = parseOptions(process.argv.slice(2), benchmark.defaults, benchmark.flags);
  const stopWatchdog = startWatchdog(2 * benchmark.expectedMs(options), benchmark.name);
  await benchmark.run(options);
  stopWatchdog();
}

/**
 * A command-line count: `--name 10_000`; `fallback` when absent.
 * @throws Error naming the flag when it is not a positive integer.
 */
export function positiveCount(name: string, text: string | undefined, fallback?: number): number {
  if (text !== undefined) return count(text, `--${name}`);
  if (fallback === undefined) throw new Error(`--${name}: a value is required`);
  return fallback;
}

/** `--durability full|normal`; `fallback` when absent. */
export function parseDurability(text: string | undefined, fallback: Durability): Durability {
  return text === undefined ? fallback : durability(text, "--durability");
}
