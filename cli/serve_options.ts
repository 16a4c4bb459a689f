/**
 * What the serving commands (backend, gateway, dev) share: flags that read files or the
 * environment, and the graceful shutdown on signals.
 */
import fs from "node:fs";
import path from "node:path";
import { ADMIN_KEY_ENV, checkAdminKeyFormat, parseEnvFile } from "../engine/index.ts";
import { fail } from "./usage.ts";

/** `--admin-key KEY`, else `$CONVEX_GRAPHQL_ADMIN_KEY`: the options that set the admin key. */
export function adminKeyOption(flag: string | undefined): { adminKey?: string } {
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
export function envFile(file: string | undefined): Record<string, string> {
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
export function persistedOption(file: string | undefined): {
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

/**
 * SIGINT/SIGTERM: graceful shutdown (`close`: stop accepting, let in-flight requests finish,
 * close sockets), then exit 0. A second signal exits at once (1).
 */
export function onSignals(close: () => Promise<void>): void {
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
