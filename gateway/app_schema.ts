/**
 * The served schema: derived from a description of the app's functions (app_description.ts), or,
 * when a contract file is given, that curated SDL bound to them (schema/contract.ts). Both are
 * built again when they may have changed: `describe` is asked anew when a file under `watchDir`
 * changes (in `dev`, and with `gateway --dir` unless `--no-watch`), and the contract is read again
 * when it is saved. A build that fails (a change that does not compile, a contract the functions
 * no longer honour) keeps the previous schema, with the error logged. Describing may take seconds
 * (the CLI's describer infers result types with TypeScript, off the event loop): the previous
 * schema serves meanwhile. At start, a failure is thrown.
 */
import fs from "node:fs";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { watchConvexDir } from "../lib/convex_dir_watch.ts";
import { deriveSchema } from "./schema/derive.ts";
import { contractSchema } from "./schema/contract.ts";
import type { AppDescription } from "./schema/app_description.ts";

export interface AppSchema {
  /** The current schema. */
  current(): GraphQLSchema;
  /** Builds it again now; resolves false (and keeps the old one) on failure. */
  refresh(): Promise<boolean>;
  close(): void;
}

/** Calls `onChange` 300 ms after the last save of `file` (editors save by rename too). */
function watchFile(file: string, onChange: () => void): fs.FSWatcher {
  let timer: NodeJS.Timeout | null = null;
  const watcher = fs.watch(path.dirname(file), (_event, name) => {
    if (name !== path.basename(file)) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, 300);
  });
  watcher.on("close", () => {
    if (timer !== null) clearTimeout(timer);
  });
  return watcher;
}

export async function derivedAppSchema(
  describe: () => Promise<AppDescription>,
  options: {
    /** Describe the app again when a file under this folder changes (its `convex/`). */
    watchDir?: string;
    /** Serve this contract (SDL with `@convex` directives) instead of the derived schema. */
    contractFile?: string;
    /** Read the contract again when it changes (default: when `watchDir` is set). */
    watchContract?: boolean;
    log?: (line: string) => void;
  } = {},
): Promise<AppSchema> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { contractFile } = options;
  const build = async (): Promise<GraphQLSchema> => {
    const app = await describe();
    if (contractFile === undefined) return deriveSchema(app).schema;
    return contractSchema(fs.readFileSync(contractFile, "utf8"), contractFile, app);
  };
  let schema = await build();
  // Refreshes overlap when files change during an inference: only the latest one applies.
  let latest = 0;
  const refresh = async (): Promise<boolean> => {
    const generation = ++latest;
    try {
      const built = await build();
      if (generation !== latest) return true; // a newer refresh supersedes this one
      schema = built;
      log("✔ GraphQL schema updated");
      return true;
    } catch (error) {
      log(`✖ GraphQL schema not updated (the previous one serves):\n${(error as Error).message}`);
      return false;
    }
  };
  const watchers: fs.FSWatcher[] = [];
  if (options.watchDir !== undefined)
    watchers.push(watchConvexDir(options.watchDir, 300, () => void refresh()));
  if (contractFile !== undefined && (options.watchContract ?? options.watchDir !== undefined))
    watchers.push(watchFile(contractFile, () => void refresh()));
  return {
    current: () => schema,
    refresh,
    close: () => {
      for (const watcher of watchers) watcher.close();
    },
  };
}
