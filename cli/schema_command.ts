/**
 * `convex-graphql schema` (print or `--check` the contract) and `function-spec`. Only the schema's
 * own modules load: not the gateway's server, nor the engine's, so a cold run is shorter.
 */
import fs from "node:fs";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { specFromDescription, type AppDescription } from "../gateway/schema/app_description.ts";
import { deriveSchema } from "../gateway/schema/derive.ts";
import { printContract } from "../gateway/schema/print_contract.ts";
import { describeConvexDir, describeFromSpecFile } from "./app_description.ts";
import { parse } from "./flags.ts";
import { driftReport, schemaDrift } from "./schema_check.ts";
import { fail } from "./usage.ts";

/**
 * Prints the schema on stdout; on stderr, each field that fell back to `JSON` (or `String`) and
 * why, whether inference (describe/) or the derivation (gateway/schema/fallbacks.ts) gave up, and
 * each table with several fetch-by-id queries (relations use the first).
 */
export async function runSchema(argv: string[]): Promise<void> {
  const values = parse(argv, {
    dir: { type: "string", default: "." },
    "function-spec": { type: "string" },
    out: { type: "string" },
    check: { type: "boolean", default: false },
    contract: { type: "string" },
    strict: { type: "boolean", default: false },
  });
  const spec = values["function-spec"];
  const app =
    spec === undefined
      ? await describeConvexDir(path.resolve(values.dir))
      : { ...describeFromSpecFile(path.resolve(spec)), fallbacks: [], inferenceError: null };
  const { schema, relationAmbiguities, fallbacks } = deriveSchema(app);
  if (values.check) {
    const file = path.resolve(values.contract ?? path.join(values.dir, "schema.graphql"));
    checkContract(file, app, schema, { strict: values.strict, dir: values.dir });
    return;
  }
  const sdl = printContract(schema);
  if (values.out === undefined) process.stdout.write(sdl);
  else fs.writeFileSync(path.resolve(values.out), sdl);
  const notes: string[] = [];
  if (app.inferenceError !== null) notes.push(`result types not inferred: ${app.inferenceError}`);
  for (const { path: fnPath, where, reason } of app.fallbacks)
    notes.push(`${fnPath} ${where}: JSON (${reason})`);
  for (const { path: fnPath, where, type, reason } of fallbacks)
    notes.push(`${fnPath} ${where}: ${type} (${reason})`);
  for (const { table, paths } of relationAmbiguities)
    notes.push(
      `relations to ${table}: several fetch-by-id queries (${paths.join(", ")}); using ${paths[0]}`,
    );
  for (const note of notes) process.stderr.write(`convex-graphql schema: ${note}\n`);
}

/** `schema --check`: prints the drift from the contract in `file`; exits 1 when it breaks it. */
function checkContract(
  file: string,
  app: AppDescription,
  derived: GraphQLSchema,
  options: { readonly strict: boolean; readonly dir: string },
): void {
  const shown = path.relative(process.cwd(), file) || file;
  let sdl: string;
  try {
    sdl = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      fail(`--check: ${(error as Error).message}`);
    process.stderr.write(
      `convex-graphql: --check: no contract at ${shown}: write one with \`convex-graphql schema --dir ${options.dir} --out ${shown}\`, or name another with --contract FILE\n`,
    );
    process.exit(2);
  }
  const { text, fails } = driftReport(schemaDrift(sdl, shown, app, derived), options.strict);
  process.stdout.write(`${shown}: ${text}\n`);
  if (fails) process.exit(1);
}

/** `function-spec`: the app's functions in Convex's function-spec format (with `tables`). */
export async function runFunctionSpec(argv: string[]): Promise<void> {
  const values = parse(argv, { dir: { type: "string", default: "." } });
  const description = await describeConvexDir(path.resolve(values.dir));
  process.stdout.write(`${JSON.stringify(specFromDescription(description), null, 2)}\n`);
}
