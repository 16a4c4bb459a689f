/**
 * The `convex-graphql` command: `backend` (the embedded Convex-compatible backend); `gateway`,
 * `dev` and `schema` arrive with the GraphQL gateway.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { startBackend } from "../engine/index.ts";

const USAGE = `Usage: convex-graphql <command> [options]

Commands:
  backend   Run the embedded Convex-compatible backend for DIR/convex
            --dir DIR        app folder holding convex/ (default: .)
            --port PORT      HTTP port (default: 3210; 0 picks a free one)
            --host HOST      interface to listen on (default: 127.0.0.1)
            --data FILE      SQLite data file (default: DIR/.convex-graphql/data.sqlite3)
            --no-watch       do not reload functions when files change
  dev       The backend and the GraphQL gateway together (see README)
`;

function fail(message: string): never {
  process.stderr.write(`convex-graphql: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function runBackend(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        dir: { type: "string", default: "." },
        port: { type: "string", default: "3210" },
        host: { type: "string", default: "127.0.0.1" },
        data: { type: "string" },
        "no-watch": { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const { values } = parsed;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be a port number, got "${values.port}"`);
  const dir = path.resolve(values.dir);
  const backend = await startBackend({
    dir,
    port,
    host: values.host,
    watch: !values["no-watch"],
    ...(values.data !== undefined ? { dataFile: path.resolve(values.data) } : {}),
  });
  process.stdout.write(`Convex backend ready at ${backend.url}\n`);
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    process.stderr.write(`Received ${signal}, shutting down.\n`);
    backend.close().then(
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

/** Runs the CLI with `argv` (without `node` and the script path). */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "backend":
      await runBackend(rest);
      return;
    case "dev":
    case "gateway":
    case "schema":
      fail(`"${command}" arrives with the GraphQL gateway (issue #4); run "backend" for now.`);
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
