/**
 * The served schema, derived from a description of the app's functions (app_description.ts) and
 * derived again when they change: `describe` is asked anew when a file under `watchDir` changes
 * (in `dev`, and with `gateway --dir` unless `--no-watch`). A description that fails (a change
 * that does not compile) keeps the previous schema. Describing may take seconds (the CLI's
 * describer infers result types with TypeScript, off the event loop): the previous schema serves
 * meanwhile.
 */
import type fs from "node:fs";
import type { GraphQLSchema } from "graphql";
import { watchConvexDir } from "../lib/convex_dir_watch.ts";
import { deriveSchema } from "./schema/derive.ts";
import type { AppDescription } from "./schema/app_description.ts";

export interface AppSchema {
  /** The current schema. */
  current(): GraphQLSchema;
  /** Re-derives it now; resolves false (and keeps the old one) on failure. */
  refresh(): Promise<boolean>;
  close(): void;
}

export async function derivedAppSchema(
  describe: () => Promise<AppDescription>,
  options: {
    /** Describe the app again when a file under this folder changes (its `convex/`). */
    watchDir?: string;
    log?: (line: string) => void;
  } = {},
): Promise<AppSchema> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const analyze = describe;
  let schema = deriveSchema(await analyze()).schema;
  // Refreshes overlap when files change during an inference: only the latest one applies.
  let latest = 0;
  const refresh = async (): Promise<boolean> => {
    const generation = ++latest;
    try {
      const derived = deriveSchema(await analyze()).schema;
      if (generation !== latest) return true; // a newer refresh supersedes this one
      schema = derived;
      log("✔ GraphQL schema updated");
      return true;
    } catch (error) {
      log(`✖ GraphQL schema not updated: ${(error as Error).message}`);
      return false;
    }
  };
  let watcher: fs.FSWatcher | null = null;
  if (options.watchDir !== undefined) {
    watcher = watchConvexDir(options.watchDir, 300, () => void refresh());
  }
  return {
    current: () => schema,
    refresh,
    close: () => watcher?.close(),
  };
}
