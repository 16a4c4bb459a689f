/** `convex-graphql dev` (what `npm start` runs): backend and gateway in one process, watching. */
import path from "node:path";
import { startBackend } from "../engine/index.ts";
import { startGateway } from "../gateway/index.ts";
import { logger, milliseconds, parse, port } from "./flags.ts";
import { federatedSchema, servedSchema } from "./gateway_command.ts";
import { servedAppSchema } from "./gateway_schema.ts";
import { missingGeneratedHint } from "./codegen_command.ts";
import { engineLog } from "./logger.ts";
import { adminKeyOption, envFile, onSignals, persistedOption } from "./serve_options.ts";

export async function runDev(argv: string[]): Promise<void> {
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
  const hint = backend.engine.functionsLoaded ? null : missingGeneratedHint(dir);
  if (hint !== null) {
    await backend.close();
    throw new Error(hint);
  }
  // Module top levels may read the deployment's variables: the schema is derived with them.
  const env = () => Object.fromEntries(backend.engine.functionEnvironmentVariables);
  // Built again for each version the backend serves (after a file or a variable changed), never
  // for one it refused: the schema then describes the functions that actually run.
  const schema = await servedAppSchema(values, env, (refresh) =>
    backend.engine.onReload((report) => {
      if (report.ok) refresh();
    }),
  );
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
