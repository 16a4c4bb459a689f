/** `convex-graphql backend`: the embedded Convex-compatible backend for DIR/convex. */
import path from "node:path";
import { startBackend } from "../engine/index.ts";
import { logger, parse, port } from "./flags.ts";
import { missingGeneratedHint } from "./codegen_command.ts";
import { engineLog } from "./logger.ts";
import { adminKeyOption, envFile, onSignals } from "./serve_options.ts";

export async function runBackend(argv: string[]): Promise<void> {
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
  const dir = path.resolve(values.dir);
  const backend = await startBackend({
    logger: log,
    log: engineLog(log),
    ...adminKeyOption(values["admin-key"]),
    dir,
    port: port(values.port, "--port"),
    sitePort: port(values["site-port"], "--site-port"),
    host: values.host,
    watch: !values["no-watch"],
    env: envFile(values["env-file"]),
    ...(values.data !== undefined ? { dataFile: path.resolve(values.data) } : {}),
  });
  const hint = backend.engine.functionsLoaded ? null : missingGeneratedHint(dir);
  if (hint !== null) log.warn(hint);
  process.stdout.write(`Convex backend ready at ${backend.url}\n`);
  process.stdout.write(`HTTP actions at ${backend.siteUrl}\n`);
  process.stdout.write(`Admin key: ${backend.adminKey}\n`);
  onSignals(() => backend.close());
}
