/**
 * The `convex-graphql` command:
 * - `backend`: the embedded Convex-compatible backend for DIR/convex (backend_command.ts);
 * - `gateway`: the GraphQL gateway in front of any Convex deployment (gateway_command.ts);
 * - `dev`: both in one process, watching DIR/convex (what `npm start` runs; dev_command.ts);
 * - `schema`, `function-spec`: the GraphQL contract, the app's function spec (schema_command.ts);
 * - `env`: the deployment's environment variables (env_command.ts);
 * - `codegen`: the app's `convex/_generated/`, offline (codegen_command.ts).
 * Each command's modules load only when it runs: `schema` never loads the servers.
 */
import { fail, USAGE } from "./usage.ts";

/** Runs the CLI with `argv` (without `node` and the script path). */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "backend":
      return (await import("./backend_command.ts")).runBackend(rest);
    case "gateway":
      return (await import("./gateway_command.ts")).runGateway(rest);
    case "dev":
      return (await import("./dev_command.ts")).runDev(rest);
    case "schema":
      return (await import("./schema_command.ts")).runSchema(rest);
    case "function-spec":
      return (await import("./schema_command.ts")).runFunctionSpec(rest);
    case "codegen":
      return (await import("./codegen_command.ts")).runCodegen(rest);
    case "env":
      try {
        const { runEnvCommand } = await import("./env_command.ts");
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
