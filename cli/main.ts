/**
 * The `convex-graphql` command:
 * - `backend`: the embedded Convex-compatible backend for DIR/convex;
 * - `gateway`: the GraphQL gateway in front of any Convex deployment;
 * - `dev`: both in one process, watching DIR/convex (what `npm start` runs);
 * - `schema`: prints the GraphQL schema derived from DIR/convex;
 * - `env`: the deployment's environment variables (cli/env_command.ts).
 */
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import fs from "node:fs";
import type { GraphQLSchema } from "graphql";
import { ADMIN_KEY_ENV, checkAdminKeyFormat, parseEnvFile, startBackend } from "../engine/index.ts";
import {
  deriveSchema,
  printContract,
  specFromDescription,
  startGateway,
  type AppDescription,
} from "../gateway/index.ts";
import { describeConvexDir, describeFromSpecFile } from "./app_description.ts";
import { servedAppSchema } from "./gateway_schema.ts";
import { driftReport, schemaDrift } from "./schema_check.ts";
import { ENV_USAGE, runEnvCommand } from "./env_command.ts";
import type { MergedSchema } from "../gateway/merge/index.ts";
import { createLogger, engineLog, isLogLevel, LOG_LEVELS } from "./logger.ts";
import type { Logger } from "pino";

const USAGE = `Usage: convex-graphql <command> [options]

Commands:
  backend   Run the embedded Convex-compatible backend for DIR/convex
            --dir DIR          app folder holding convex/ (default: .)
            --port PORT        HTTP and WebSocket port (default: 3210; 0 picks a free one)
            --site-port PORT   HTTP actions (convex/http.ts), Convex's site URL (default: 3211; 0: free)
            --host HOST        interface to listen on (default: 127.0.0.1)
            --data FILE        SQLite data file (default: DIR/.convex-graphql/data.sqlite3)
            --no-watch         do not reload functions when files change
            --env-file FILE    store the variables of this .env file at start (see env)
            --log-level LEVEL  ${LOG_LEVELS.join("|")} (default: info); logs go to stderr,
                               pretty in a terminal, JSON lines otherwise
            --admin-key KEY    the deployment's admin key (default: $CONVEX_GRAPHQL_ADMIN_KEY, else
                               the key kept beside the data file, made on first start)
  gateway   Serve GraphQL in front of a Convex deployment
            --convex-url URL   the deployment (required), e.g. https://x.convex.cloud or http://127.0.0.1:3210
            --dir DIR          app folder whose convex/ functions define the schema (default: .)
            --schema FILE      serve this contract: SDL whose fields are bound by @convex /
                               @convexRelation (default: DIR/schema.graphql when it exists)
            --no-contract      serve the schema derived from the functions even when
                               DIR/schema.graphql exists
            --function-spec FILE derive the schema from this function spec (\`npx convex
                               function-spec\` of a deployment, or \`convex-graphql function-spec\`)
                               instead of a convex/ folder
            --port PORT        (default: 4000)   --host HOST (default: 127.0.0.1)
            --no-watch         do not re-derive the schema when files change
            --dev              do not mask unexpected errors
            --no-introspection refuse introspection queries
            --persisted FILE   accept only the operations of this manifest (hash -> document: the
                               persisted-documents.json of graphql-codegen's client preset); without
                               it, any operation, and Apollo's automatic persisted queries
            --csrf-prevention  refuse GETs and form POSTs without a preflight header (for a proxy
                               that turns cookies into Authorization; the gateway reads no cookies)
            --query-cache-ms MS keep queries a GraphQL query read subscribed this long, so repeats
                               are answered from pushed results (default: 30000; 0: always read upstream)
            --log-level LEVEL  (default: info)
            --merge [PREFIX=]URL serve an existing GraphQL API's schema too (repeatable): its queries
                               and mutations proxied with the caller's Authorization, its
                               subscriptions over SSE; PREFIX renames its types and root fields
            --federation       serve as an Apollo Federation v2 subgraph (_service, _entities)
  dev       Backend and gateway together on DIR (default: .), watching DIR/convex
            --dir DIR  --schema FILE  --no-contract (as gateway)
            --port PORT (gateway, default 4000)  --backend-port PORT (default 3210)
            --site-port PORT (HTTP actions, default 3211)  --host HOST  --data FILE
            --query-cache-ms MS  --env-file FILE  --csrf-prevention  --persisted FILE
            --log-level LEVEL  --admin-key KEY  --merge [PREFIX=]URL  --federation
  schema    Print the GraphQL contract derived from DIR/convex: SDL whose root and relation
            fields carry @convex / @convexRelation directives naming their functions
            --dir DIR  --function-spec FILE (instead of DIR)  --out FILE (instead of stdout)
            --check            compare with the contract (DIR/schema.graphql, or --contract FILE):
                               exit 1 when a bound function was removed or changed incompatibly;
                               new public functions are warnings (errors with --strict)
  function-spec  Print DIR/convex's functions in Convex's function-spec format (what
            \`npx convex function-spec\` prints), plus schema.ts's tables; --dir DIR
${ENV_USAGE}`;

function fail(message: string): never {
  process.stderr.write(`convex-graphql: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

function port(value: string | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0 || number > 65535)
    fail(`${flag} must be a port number, got "${value}"`);
  return number;
}

function milliseconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    fail(`${flag} must be a whole number of milliseconds, got "${value}"`);
  return number;
}

/** `--admin-key KEY`, else `$CONVEX_GRAPHQL_ADMIN_KEY`: the options that set the admin key. */
function adminKeyOption(flag: string | undefined): { adminKey?: string } {
  const key = flag ?? process.env[ADMIN_KEY_ENV];
  if (key === undefined || key === "") return {};
  try {
    checkAdminKeyFormat(key);
  } catch (error) {
    fail(`--admin-key: ${(error as Error).message}`);
  }
  return { adminKey: key };
}

/** The variables of `--env-file FILE`, to store at start. */
function envFile(file: string | undefined): Record<string, string> {
  if (file === undefined) return {};
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(file), "utf8");
  } catch (error) {
    fail(`--env-file ${file}: ${(error as Error).message}`);
  }
  return parseEnvFile(text);
}

/** `--persisted FILE`: the allow-list of operations, id -> document. */
function persistedOption(file: string | undefined): {
  persistedOperations?: Record<string, string>;
} {
  if (file === undefined) return {};
  let manifest: unknown;
  try {
    manifest = JSON.parse(fs.readFileSync(path.resolve(file), "utf8")) as unknown;
  } catch (error) {
    fail(`--persisted ${file}: ${(error as Error).message}`);
  }
  const entries = typeof manifest === "object" && manifest !== null ? Object.entries(manifest) : [];
  if (entries.length === 0 || entries.some(([, document]) => typeof document !== "string"))
    fail(`--persisted ${file}: expected a JSON object of operation ids to GraphQL documents`);
  return { persistedOperations: Object.fromEntries(entries) };
}

/** `--log-level`'s logger (default info). */
function logger(value: string | undefined): Logger {
  const level = value ?? "info";
  if (!isLogLevel(level))
    fail(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${level}"`);
  return createLogger(level);
}

/**
 * SIGINT/SIGTERM: graceful shutdown (`close`: stop accepting, let in-flight requests finish,
 * close sockets), then exit 0. A second signal exits at once (1).
 */
function onSignals(close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) {
      process.stderr.write(`Received ${signal} again, exiting now.\n`);
      process.exit(1);
    }
    closing = true;
    process.stderr.write(`Received ${signal}, shutting down.\n`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

async function runBackend(argv: string[]): Promise<void> {
  const values = parse(argv, {
    dir: { type: "string", default: "." },
    port: { type: "string", default: "3210" },
    "site-port": { type: "string", default: "3211" },
    host: { type: "string", default: "127.0.0.1" },
    data: { type: "string" },
    "no-watch": { type: "boolean", default: false },
    "env-file": { type: "string" },
    "log-level": { type: "string" },
    "admin-key": { type: "string" },
  });
  const log = logger(values["log-level"]);
  const backend = await startBackend({
    logger: log,
    log: engineLog(log),
    ...adminKeyOption(values["admin-key"]),
    dir: path.resolve(values.dir),
    port: port(values.port, "--port"),
    sitePort: port(values["site-port"], "--site-port"),
    host: values.host,
    watch: !values["no-watch"],
    env: envFile(values["env-file"]),
    ...(values.data !== undefined ? { dataFile: path.resolve(values.data) } : {}),
  });
  process.stdout.write(`Convex backend ready at ${backend.url}\n`);
  process.stdout.write(`HTTP actions at ${backend.siteUrl}\n`);
  process.stdout.write(`Admin key: ${backend.adminKey}\n`);
  onSignals(() => backend.close());
}

async function runGateway(argv: string[]): Promise<void> {
  const values = parse(argv, {
    "convex-url": { type: "string" },
    dir: { type: "string", default: "." },
    schema: { type: "string" },
    "no-contract": { type: "boolean", default: false },
    "function-spec": { type: "string" },
    port: { type: "string", default: "4000" },
    host: { type: "string", default: "127.0.0.1" },
    "no-watch": { type: "boolean", default: false },
    dev: { type: "boolean", default: false },
    "no-introspection": { type: "boolean", default: false },
    "csrf-prevention": { type: "boolean", default: false },
    persisted: { type: "string" },
    "query-cache-ms": { type: "string" },
    "log-level": { type: "string" },
    merge: { type: "string", multiple: true },
    federation: { type: "boolean", default: false },
  });
  const log = logger(values["log-level"]);
  const queryCacheMs = milliseconds(values["query-cache-ms"], "--query-cache-ms");
  const convexUrl = values["convex-url"];
  if (convexUrl === undefined) fail("gateway needs --convex-url URL");
  try {
    new URL(convexUrl);
  } catch {
    fail(`--convex-url is not a URL: "${convexUrl}"`);
  }
  const schema = await servedAppSchema(values);
  const served = await servedSchema(schema, values.merge);
  const gateway = await startGateway({
    logger: log,
    convexUrl,
    schema: values.federation ? await federatedSchema(served.current) : served.current,
    plugins: served.plugins,
    port: port(values.port, "--port"),
    host: values.host,
    dev: values.dev,
    introspection: !values["no-introspection"],
    csrfPrevention: values["csrf-prevention"],
    ...persistedOption(values.persisted),
    ...(queryCacheMs !== undefined ? { queryCacheMs } : {}),
  });
  process.stdout.write(
    `GraphQL gateway ready at ${gateway.url} (GraphiQL: open it in a browser) -> Convex ${convexUrl}\n`,
  );
  onSignals(async () => {
    schema.close();
    served.close();
    await gateway.close();
  });
}

/** `--federation`'s schema (loaded only then: the CLI starts faster without stitching's modules). */
async function federatedSchema(current: () => GraphQLSchema): Promise<() => GraphQLSchema> {
  const { federated } = await import("../gateway/federation/subgraph.ts");
  return federated(current);
}

/** The Convex schema, with the APIs of `--merge` stitched in when there are any. */
async function servedSchema(
  schema: { current: () => GraphQLSchema },
  merge: string[] | undefined,
): Promise<Pick<MergedSchema, "current" | "plugins" | "close">> {
  if (merge === undefined || merge.length === 0) {
    return { current: () => schema.current(), plugins: [], close: () => {} };
  }
  const { mergeApis, parseMergeFlag } = await import("../gateway/merge/index.ts");
  try {
    const merged = await mergeApis(() => schema.current(), merge.map(parseMergeFlag));
    for (const [url, state] of Object.entries(merged.status())) {
      process.stderr.write(
        state === "available"
          ? `Merged ${url}\n`
          : `⚠ ${url} is unavailable; serving without it and retrying in the background\n`,
      );
    }
    return merged;
  } catch (error) {
    fail((error as Error).message);
  }
}

async function runDev(argv: string[]): Promise<void> {
  const values = parse(argv, {
    dir: { type: "string", default: "." },
    schema: { type: "string" },
    "no-contract": { type: "boolean", default: false },
    port: { type: "string", default: "4000" },
    "backend-port": { type: "string", default: "3210" },
    "site-port": { type: "string", default: "3211" },
    host: { type: "string", default: "127.0.0.1" },
    data: { type: "string" },
    "query-cache-ms": { type: "string" },
    "env-file": { type: "string" },
    "csrf-prevention": { type: "boolean", default: false },
    persisted: { type: "string" },
    "log-level": { type: "string" },
    "admin-key": { type: "string" },
    merge: { type: "string", multiple: true },
    federation: { type: "boolean", default: false },
  });
  const log = logger(values["log-level"]);
  const queryCacheMs = milliseconds(values["query-cache-ms"], "--query-cache-ms");
  const dir = path.resolve(values.dir);
  const backend = await startBackend({
    logger: log.child({ component: "backend" }),
    log: engineLog(log.child({ component: "backend" })),
    ...adminKeyOption(values["admin-key"]),
    dir,
    port: port(values["backend-port"], "--backend-port"),
    sitePort: port(values["site-port"], "--site-port"),
    host: values.host,
    watch: true,
    env: envFile(values["env-file"]),
    ...(values.data !== undefined ? { dataFile: path.resolve(values.data) } : {}),
  });
  // Module top levels may read the deployment's variables: the schema is derived with them.
  const env = () => Object.fromEntries(backend.engine.environmentVariables);
  const schema = await servedAppSchema(values, env);
  backend.engine.onEnvironmentChange(() => void schema.refresh());
  const served = await servedSchema(schema, values.merge);
  const gateway = await startGateway({
    logger: log.child({ component: "gateway" }),
    convexUrl: backend.url,
    schema: values.federation ? await federatedSchema(served.current) : served.current,
    plugins: served.plugins,
    port: port(values.port, "--port"),
    host: values.host,
    dev: true,
    csrfPrevention: values["csrf-prevention"],
    ...persistedOption(values.persisted),
    ...(queryCacheMs !== undefined ? { queryCacheMs } : {}),
  });
  process.stdout.write(
    [
      `GraphQL:  ${gateway.url}`,
      `GraphiQL: ${gateway.url} (open in a browser)`,
      `Convex:   ${backend.url}`,
      `HTTP actions (site): ${backend.siteUrl}`,
      `Admin key: ${backend.adminKey}`,
      `Watching ${path.join(dir, "convex")} for changes. Ctrl-C to stop.`,
      "",
    ].join("\n"),
  );
  onSignals(async () => {
    schema.close();
    served.close();
    await gateway.close();
    await backend.close();
  });
}

/**
 * Prints the schema on stdout; on stderr, each result that fell back to `JSON` and why, and each
 * table with several fetch-by-id queries (relations use the first).
 */
async function runSchema(argv: string[]): Promise<void> {
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
  const { schema, relationAmbiguities } = deriveSchema(app);
  if (values.check) {
    const file = path.resolve(values.contract ?? path.join(values.dir, "schema.graphql"));
    checkContract(file, app, schema, values.strict);
    return;
  }
  const sdl = printContract(schema);
  if (values.out === undefined) process.stdout.write(sdl);
  else fs.writeFileSync(path.resolve(values.out), sdl);
  const notes: string[] = [];
  if (app.inferenceError !== null) notes.push(`result types not inferred: ${app.inferenceError}`);
  for (const { path: fnPath, where, reason } of app.fallbacks)
    notes.push(`${fnPath} ${where}: JSON (${reason})`);
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
  strict: boolean,
): void {
  let sdl: string;
  try {
    sdl = fs.readFileSync(file, "utf8");
  } catch (error) {
    fail(`--check: ${(error as Error).message}`);
  }
  const shown = path.relative(process.cwd(), file) || file;
  const { text, fails } = driftReport(schemaDrift(sdl, shown, app, derived), strict);
  process.stdout.write(`${shown}: ${text}\n`);
  if (fails) process.exit(1);
}

/** `function-spec`: the app's functions in Convex's function-spec format (with `tables`). */
async function runFunctionSpec(argv: string[]): Promise<void> {
  const values = parse(argv, { dir: { type: "string", default: "." } });
  const description = await describeConvexDir(path.resolve(values.dir));
  process.stdout.write(`${JSON.stringify(specFromDescription(description), null, 2)}\n`);
}

/** Runs the CLI with `argv` (without `node` and the script path). */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "backend":
      return runBackend(rest);
    case "gateway":
      return runGateway(rest);
    case "dev":
      return runDev(rest);
    case "schema":
      return runSchema(rest);
    case "function-spec":
      return runFunctionSpec(rest);
    case "env":
      try {
        process.stdout.write(runEnvCommand(rest));
      } catch (error) {
        process.stderr.write(`convex-graphql env: ${(error as Error).message}\n`);
        process.exit(1);
      }
      return;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return;
    default:
      fail(`unknown command "${command}"`);
  }
}
