/**
 * Schema derivation time, beside Convex's own code generator on the same app, in one run:
 *
 * - `derive`: what the gateway does on start and on every change in `dev`: `describeApp(dir)`
 *   (the engine's analysis of the bundled functions, and the TypeScript inference of every
 *   undeclared result in a worker thread, cache off) then `deriveSchema`;
 * - `derive (cached)`: the same with the inference cache warm (an unchanged app: a restart);
 * - `convex codegen`: `convex codegen --system-udfs --typecheck disable` (cli/convex_codegen.ts),
 *   which writes `_generated/` from the same folder without type-checking;
 * - `codegen + typecheck`: the same with `--typecheck enable`, which also runs the app's `tsc`
 *   over the functions (what `npx convex codegen` does by default when TypeScript is
 *   installed); the app folders get a `node_modules` link to this repository's for it.
 *
 * Apps: the example app (a copy of `convex/`) and a generated app of `--functions` functions
 * (support/generated_app.ts). Each is timed `--runs` times, interleaved; it prints medians and
 * the ratio derive / codegen. It asserts nothing about time.
 *
 *   node cli/run_ts.js bench/schema_derivation.ts [--runs 3] [--functions 200]
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
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

async function derive(dir: string, useCache: boolean): Promise<number> {
  let types = 0;
  const ms = await timed(async () => {
    const app = await describeApp(dir, { useCache });
    if (app.inferenceError !== null) throw new Error(app.inferenceError);
    types = Object.keys(deriveSchema(app).schema.getTypeMap()).length;
  });
  if (types === 0) throw new Error("no schema");
  return ms;
}

async function measure(label: string, dir: string, runs: number): Promise<string[]> {
  const samples = {
    derive: [] as number[],
    cached: [] as number[],
    codegen: [] as number[],
    typecheck: [] as number[],
  };
  for (let run = 0; run < runs; run++) {
    samples.codegen.push(await timed(() => runConvexCodegen(dir)));
    samples.typecheck.push(await timed(() => runConvexCodegen(dir, "enable")));
    samples.derive.push(await derive(dir, false));
    samples.cached.push(await derive(dir, true));
  }
  const codegen = median(samples.codegen);
  return [
    label,
    formatMs(median(samples.derive)),
    formatMs(median(samples.cached)),
    formatMs(codegen),
    formatMs(median(samples.typecheck)),
    `${(median(samples.derive) / codegen).toFixed(2)}x`,
    `${(median(samples.derive) / median(samples.typecheck)).toFixed(2)}x`,
  ];
}

export async function runSchemaDerivation(options: {
  runs: number;
  functions: number;
}): Promise<void> {
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
    await measure("example app", example.path, options.runs),
    await measure(`generated app (${options.functions} functions)`, generated.path, options.runs),
  ];
  process.stdout.write(
    formatTable(
      [
        "app",
        "derive p50",
        "derive (cached) p50",
        "codegen p50",
        "codegen + typecheck p50",
        "derive/codegen",
        "derive/(codegen + typecheck)",
      ],
      rows,
    ),
  );
}

if (isEntryPoint(import.meta.url)) {
  const { values } = parseArgs({
    options: { runs: { type: "string" }, functions: { type: "string" } },
  });
  const stop = startWatchdog(30 * 60_000, "schema_derivation");
  await runSchemaDerivation({
    runs: positiveCount("--runs", values.runs, 3),
    functions: positiveCount("--functions", values.functions, 200),
  });
  stop();
}
