/**
 * The app description the gateway derives its schema from (gateway/schema/app_description.ts),
 * produced from a `convex/` folder by the engine's analysis, or read from a function-spec file.
 * This is where the CLI bridges the engine and the gateway, which never imports the engine.
 */
import fs from "node:fs";
import path from "node:path";
import { describeApp } from "../describe/index.ts";
import type { DescribedApp } from "../describe/index.ts";
import { derivedAppSchema, type AppSchema } from "../gateway/app_schema.ts";
import { descriptionFromSpec, type AppDescription } from "../gateway/schema/app_description.ts";

/**
 * Describes `DIR/convex` (module top levels see `env` as `process.env`), with the result types
 * TypeScript infers for functions that declare none (describe/). `log` hears why inference did
 * not run, when it did not.
 */
export async function describeConvexDir(
  dir: string,
  env?: () => Readonly<Record<string, string>>,
  log?: (line: string) => void,
): Promise<DescribedApp> {
  const app = await describeApp(dir, env === undefined ? {} : { env: env() });
  if (app.inferenceError !== null)
    log?.(`✖ Result types not inferred (undeclared results are JSON): ${app.inferenceError}`);
  if (log !== undefined) for (const line of typeErrorLines(app)) log(line);
  return app;
}

const KEPT_WHAT = { returns: "result type", args: "argument types" } as const;

/** What type errors in the app did to its inferred results, one line per function and part. */
export function typeErrorLines(app: DescribedApp): string[] {
  const kept = (app.kept ?? []).map(
    ({ path: fnPath, part, typeError }) =>
      `✖ ${fnPath}: a type error (${typeError}); its last inferred ${KEPT_WHAT[part]} still serve${part === "args" ? "" : "s"}`,
  );
  const fellBack = app.fallbacks
    .filter((fallback) => fallback.cause === "type-error")
    .map(({ path: fnPath, where, reason }) => `✖ ${fnPath} ${where}: JSON (${reason})`);
  return [...kept, ...fellBack];
}

/** Reads a function-spec JSON file (`npx convex function-spec`, or `convex-graphql function-spec`). */
export function describeFromSpecFile(file: string): AppDescription {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return descriptionFromSpec(json, file);
}

/** The contract of the app in `dir`: `DIR/schema.graphql` when it exists (beside `convex/`). */
export function contractFileOf(dir: string): string | undefined {
  const file = path.join(dir, "schema.graphql");
  return fs.existsSync(file) ? file : undefined;
}

/**
 * The served schema of the app in `dir`, built again on change when `watch`: the contract
 * `options.contract` (default: `DIR/schema.graphql` when it exists; null: none) bound to the
 * app's functions, else the schema derived from them.
 */
export async function appSchemaOfDir(
  dir: string,
  options: {
    watch?: boolean;
    /**
     * With `watch`: when to build again instead of on file changes under `convex/` (`dev` builds
     * once the backend serves the new version, never for one it refused). The contract is still
     * read again when it is saved.
     */
    changes?: (refresh: () => void) => void;
    env?: () => Readonly<Record<string, string>>;
    log?: (line: string) => void;
    contract?: string | null;
  } = {},
): Promise<AppSchema> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const contractFile = options.contract === undefined ? contractFileOf(dir) : options.contract;
  const watchFiles = options.watch === true && options.changes === undefined;
  const schema = await derivedAppSchema(() => describeConvexDir(dir, options.env, log), {
    ...(watchFiles ? { watchDir: path.join(dir, "convex") } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(contractFile !== null && contractFile !== undefined
      ? { contractFile, watchContract: options.watch === true }
      : {}),
  });
  if (options.watch === true) options.changes?.(() => void schema.refresh());
  return schema;
}
