/**
 * The served schema, derived from `DIR/convex` and re-derived when its functions change (in
 * `dev`, and with `gateway --dir` unless `--no-watch`). A change that does not compile keeps the
 * previous schema. Result types the functions do not declare are inferred by TypeScript in a
 * worker thread (describe/): the previous schema serves meanwhile, and a failed inference only
 * leaves those results `JSON` (it is logged).
 */
import fs from "node:fs";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { describeApp, type DescribedApp } from "../describe/index.ts";
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
    /**
     * Infer the result types functions do not declare (describe/).
     * @default true
     */
    inferReturns?: boolean;
  } = {},
): Promise<AppSchema> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const analyze = async (): Promise<DescribedApp> => {
    const app = await describeApp(dir, {
      ...(options.env ? { env: options.env() } : {}),
      ...(options.inferReturns === false ? { inferReturns: false } : {}),
    });
    if (app.inferenceError !== null)
      log(`✖ Result types not inferred (undeclared results are JSON): ${app.inferenceError}`);
    return app;
  };
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
