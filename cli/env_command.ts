/**
 * `convex-graphql env set|get|list|remove`: the deployment's environment variables, as Convex's
 * `npx convex env` manages them, stored in the app's data file (`--data`, default
 * `DIR/.convex-graphql/data.sqlite3`). A backend running on that file picks a change up and
 * reloads its functions; one started later reads them at start.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultDataFile, openStoredEnvironment } from "../engine/index.ts";

/** A value as a `.env` line shows it: bare when safe, else quoted. */
export function formatEnvValue(value: string): string {
  if (/^[\w.\-:/@+,]*$/.test(value)) return value;
  if (!value.includes("\n") && !value.includes('"')) return `"${value}"`;
  if (!value.includes("\n") && !value.includes("'")) return `'${value}'`;
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

/** `NAME VALUE` or `NAME=VALUE`, as Convex's CLI accepts them. */
function nameAndValue(args: readonly string[]): { name: string; value: string } {
  const [first, second, ...extra] = args;
  if (first === undefined || extra.length > 0) throw new Error("usage: env set NAME VALUE");
  if (second !== undefined) return { name: first, value: second };
  const equals = first.indexOf("=");
  if (equals <= 0) throw new Error("usage: env set NAME VALUE (or NAME=VALUE)");
  return { name: first.slice(0, equals), value: first.slice(equals + 1) };
}

/**
 * Runs `env ...` (`argv` after `env`); returns the text to print.
 * @throws Error with the message to show on misuse or an invalid name or value.
 */
export function runEnvCommand(argv: string[]): string {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { dir: { type: "string", default: "." }, data: { type: "string" } },
    strict: true,
    allowPositionals: true,
  });
  const [subcommand, ...args] = positionals;
  const dataFile =
    values.data !== undefined
      ? path.resolve(values.data)
      : defaultDataFile(path.resolve(values.dir));
  const environment = openStoredEnvironment(dataFile);
  try {
    switch (subcommand) {
      case "set": {
        const { name, value } = nameAndValue(args);
        environment.change([{ name, value }]);
        return `Successfully set ${name} to ${formatEnvValue(value)}\n`;
      }
      case "get": {
        const [name] = args;
        if (name === undefined || args.length !== 1) throw new Error("usage: env get NAME");
        const value = environment.list().get(name);
        if (value === undefined) throw new Error(`Environment variable "${name}" not found`);
        return `${value}\n`;
      }
      case "list": {
        const variables = [...environment.list()].sort(([a], [b]) => a.localeCompare(b));
        if (variables.length === 0) return "No environment variables set\n";
        return variables.map(([name, value]) => `${name}=${formatEnvValue(value)}\n`).join("");
      }
      case "remove": {
        const [name] = args;
        if (name === undefined || args.length !== 1) throw new Error("usage: env remove NAME");
        environment.change([{ name, value: null }]);
        return `Successfully unset ${name}\n`;
      }
      default:
        throw new Error(
          `env: unknown subcommand ${JSON.stringify(subcommand ?? "")}: use set, get, list or remove`,
        );
    }
  } finally {
    environment.close();
  }
}
