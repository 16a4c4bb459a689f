/**
 * Schema derivation time, beside Convex's own code generator on the same app, in one run:
 *
 * - `fresh process`: `convex-graphql schema --dir DIR` in a new process (`node cli/bin.js`), its
 *   inference cache entry removed first: everything a user waits for on a cold start (Node,
 *   loading the CLI, the inference worker's start-up, analysis, inference, derivation, printing),
 *   as `convex codegen` is timed; the inference worker's code caches (TypeScript's V8 code
 *   cache, the inference modules' bundle) are warm, as after any earlier run on the machine;
 * - `first process on the machine`: the same with a new empty temp folder, so without them;
 * - `derive`: `describeApp(dir)` in this process (the engine's analysis of the bundled functions,
 *   and the TypeScript inference of every undeclared result in a new worker thread, cache off)
 *   then `deriveSchema`;
 * - `re-derive after an edit`: what `dev` does on every change: one function module edited, then
 *   the same through the process's long-lived inference worker, which parses only that file
 *   again and checks only the modules whose imports reach it;
 * - `derive (cached)`: the same with the inference cache warm (an unchanged app: a restart);
 * - `convex codegen`: `convex codegen --system-udfs --typecheck disable` (cli/convex_codegen.ts),
 *   which writes `_generated/` from the same folder without type-checking;
 * - `codegen + typecheck`: the same with `--typecheck enable`, which also runs the app's `tsc`
 *   over the functions (what `npx convex codegen` does by default when TypeScript is
 *   installed); the app folders get a `node_modules` link to this repository's for it.
 *
 * Apps: the example app (a copy of `convex/`) and a generated app of `--functions` functions
 * (support/generated_app.ts). Each is timed `--runs` times, interleaved; it prints medians and
 * the ratios to codegen. It asserts nothing about time.
 *
 *   node cli/run_ts.js bench/schema_derivation.ts [--runs 3] [--functions 200] [--skip-typecheck]
 *
 * Exported: `runSchemaDerivation({ runs, functions, typecheck })`.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { forgetCached, inferenceKey } from "../describe/infer/cache.ts";
import { runConvexCodegen } from "../cli/convex_codegen.ts";
import { describeApp } from "../describe/index.ts";
import { deriveSchema } from "../gateway/index.ts";
import { writeGeneratedApp } from "./support/generated_app.ts";
import {
  describeMachine,
  formatMs,
  formatTable,
  isEntryPoint,
  median,
  positiveCount,
  startWatchdog,
  tempDir,
} from "./support/harness.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

type DeriveMode = "cold" | "edit" | "cached";

/** A function module of `dir`'s app (the one an edit touches). */
function someFunctionModule(dir: string): string {
  const convexDir = path.join(dir, "convex");
  const name = fs
    .readdirSync(convexDir)
    .filter((file) => file.endsWith(".ts") && file !== "schema.ts" && !file.endsWith(".d.ts"))
    .sort()[0];
  if (name === undefined) throw new Error(`no function module in ${convexDir}`);
  return path.join(convexDir, name);
}

/**
 * `convex-graphql schema --dir DIR` in a new process, its inference result not cached. With
 * `firstOnMachine`, its temp folder is a new empty one: no code caches either (TypeScript's V8
 * code cache, the inference modules' bundle), as on a machine's very first run.
 */
async function deriveInNewProcess(dir: string, firstOnMachine = false): Promise<number> {
  forgetCached(inferenceKey(dir));
  await using emptyTemp = tempDir("bench-derive-tmp-");
  const env = firstOnMachine ? { ...process.env, TMPDIR: emptyTemp.path } : process.env;
  let printed = "";
  const ms = await timed(async () => {
    const cli = path.join(REPO_ROOT, "cli", "bin.js");
    const { stdout } = await promisify(execFile)(process.execPath, [cli, "schema", "--dir", dir], {
      maxBuffer: 64 * 1024 * 1024,
      env,
    });
    printed = stdout;
  });
  if (!printed.includes("type Query")) throw new Error(`no schema printed for ${dir}`);
  return ms;
}

let edits = 0;

async function derive(dir: string, mode: DeriveMode): Promise<number> {
  if (mode === "edit") fs.appendFileSync(someFunctionModule(dir), `\n// edit ${edits++}\n`);
  let types = 0;
  const ms = await timed(async () => {
    const app = await describeApp(dir, {
      useCache: mode === "cached",
      freshWorker: mode === "cold",
    });
    if (app.inferenceError !== null) throw new Error(app.inferenceError);
    types = Object.keys(deriveSchema(app).schema.getTypeMap()).length;
  });
  if (types === 0) throw new Error("no schema");
  return ms;
}

async function measure(
  label: string,
  dir: string,
  options: { runs: number; typecheck: boolean },
): Promise<string[]> {
  const samples = {
    first: [] as number[],
    process: [] as number[],
    derive: [] as number[],
    edit: [] as number[],
    cached: [] as number[],
    codegen: [] as number[],
    typecheck: [] as number[],
  };
  for (let run = 0; run < options.runs; run++) {
    samples.codegen.push(await timed(() => runConvexCodegen(dir)));
    if (options.typecheck)
      samples.typecheck.push(await timed(() => runConvexCodegen(dir, "enable")));
    samples.first.push(await deriveInNewProcess(dir, true));
    samples.process.push(await deriveInNewProcess(dir));
    samples.derive.push(await derive(dir, "cold"));
    samples.edit.push(await derive(dir, "edit"));
    samples.cached.push(await derive(dir, "cached"));
  }
  const codegen = median(samples.codegen);
  const typecheck = options.typecheck ? median(samples.typecheck) : Number.NaN;
  return [
    label,
    formatMs(median(samples.first)),
    formatMs(median(samples.process)),
    formatMs(median(samples.derive)),
    formatMs(median(samples.edit)),
    formatMs(median(samples.cached)),
    formatMs(codegen),
    options.typecheck ? formatMs(typecheck) : "-",
    `${(median(samples.process) / codegen).toFixed(2)}x`,
    `${(median(samples.derive) / codegen).toFixed(2)}x`,
    `${(median(samples.edit) / codegen).toFixed(2)}x`,
    options.typecheck ? `${(median(samples.process) / typecheck).toFixed(2)}x` : "-",
  ];
}

export interface SchemaDerivationOptions {
  readonly runs: number;
  readonly functions: number;
  /** Also time `convex codegen --typecheck enable` (slow: the app's whole `tsc`). */
  readonly typecheck: boolean;
}

export const DEFAULT_SCHEMA_DERIVATION_OPTIONS: SchemaDerivationOptions = {
  runs: 3,
  functions: 200,
  typecheck: true,
};

/** A generous bound: per app and run, about a minute with the type-checking codegen. */
export function expectedSchemaDerivationMs(options: SchemaDerivationOptions): number {
  return 2 * options.runs * (options.typecheck ? 60_000 : 25_000);
}

export async function runSchemaDerivation(options: SchemaDerivationOptions): Promise<void> {
  process.stdout.write(`schema derivation vs convex codegen: ${describeMachine()}\n`);
  await using example = tempDir("bench-derive-example-");
  fs.cpSync(path.join(REPO_ROOT, "convex"), path.join(example.path, "convex"), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(example.path, "package.json"));
  await using generated = tempDir("bench-derive-generated-");
  writeGeneratedApp(generated.path, options.functions);
  await runConvexCodegen(generated.path); // its _generated/ must exist before anything derives
  // `--typecheck enable` runs the app's own `tsc`: both folders see this repository's packages.
  for (const dir of [example.path, generated.path])
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const rows = [
    await measure("example app", example.path, options),
    await measure(`generated app (${options.functions} functions)`, generated.path, options),
  ];
  process.stdout.write(
    formatTable(
      [
        "app",
        "first process on the machine p50",
        "fresh process p50",
        "derive p50",
        "re-derive after an edit p50",
        "derive (cached) p50",
        "codegen p50",
        "codegen + typecheck p50",
        "process/codegen",
        "derive/codegen",
        "re-derive/codegen",
        "process/(codegen + typecheck)",
      ],
      rows,
    ),
  );
}

if (isEntryPoint(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      runs: { type: "string" },
      functions: { type: "string" },
      "skip-typecheck": { type: "boolean" },
    },
  });
  const stop = startWatchdog(30 * 60_000, "schema_derivation");
  await runSchemaDerivation({
    runs: positiveCount("--runs", values.runs, DEFAULT_SCHEMA_DERIVATION_OPTIONS.runs),
    functions: positiveCount(
      "--functions",
      values.functions,
      DEFAULT_SCHEMA_DERIVATION_OPTIONS.functions,
    ),
    typecheck: values["skip-typecheck"] !== true,
  });
  stop();
}
