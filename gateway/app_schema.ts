/**
 * The served schema, derived from `DIR/convex` and re-derived when its functions change (in
 * `dev`, and with `gateway --dir` unless `--no-watch`). A change that does not compile keeps the
 * previous schema.
 */
import fs from "node:fs";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { analyzeConvexApp } from "../engine/index.ts";
import { deriveSchema } from "./schema/derive.ts";

export interface AppSchema {
  /** The current schema. */
  current(): GraphQLSchema;
  /** Re-derives it now; resolves false (and keeps the old one) on failure. */
  refresh(): Promise<boolean>;
  close(): void;
}

export async function derivedAppSchema(
  dir: string,
  options: {
    watch?: boolean;
    log?: (line: string) => void;
    /** The deployment's environment variables, when known (`dev`): module top levels read them. */
    env?: () => Readonly<Record<string, string>>;
  } = {},
): Promise<AppSchema> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const analyze = () => analyzeConvexApp(dir, options.env ? { env: options.env() } : {});
  let schema = deriveSchema(await analyze()).schema;
  const refresh = async (): Promise<boolean> => {
    try {
      schema = deriveSchema(await analyze()).schema;
      log("✔ GraphQL schema updated");
      return true;
    } catch (error) {
      log(`✖ GraphQL schema not updated: ${(error as Error).message}`);
      return false;
    }
  };
  let watcher: fs.FSWatcher | null = null;
  if (options.watch === true) {
    let timer: NodeJS.Timeout | null = null;
    watcher = fs.watch(path.join(dir, "convex"), { recursive: true }, (_event, file) => {
      if (file !== null && (file.startsWith("_generated") || file.startsWith("."))) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void refresh();
      }, 300);
    });
  }
  return {
    current: () => schema,
    refresh,
    close: () => watcher?.close(),
  };
}
