/**
 * Test helpers: a real backend on port 0 with its own SQLite file in a fresh temp folder,
 * disposable with `await using`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBackend, type Backend, type BackendOptions } from "../../engine/index.ts";

/** The repository root (holds the example app's `convex/`). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A fresh temp folder, removed on dispose. */
export function tempDir(prefix = "convex-graphql-test-"): { path: string } & AsyncDisposable {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    path: dir,
    async [Symbol.asyncDispose]() {
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}

export type TestBackend = Backend & AsyncDisposable & { dataFile: string };

/**
 * Starts a backend for `dir` (default: the example app) on 127.0.0.1:0 (its site too) with a data file in a
 * fresh temp folder (or `dataFile`). No file watching unless asked.
 */
export async function startTestBackend(
  options: Partial<BackendOptions> & { dataFile?: string } = {},
): Promise<TestBackend> {
  const dataFile =
    options.dataFile ??
    path.join(fs.mkdtempSync(path.join(os.tmpdir(), "convex-graphql-data-")), "data.sqlite3");
  const backend = await startBackend({
    dir: REPO_ROOT,
    port: 0,
    sitePort: 0,
    watch: false,
    log: () => {},
    ...options,
    dataFile,
  });
  return Object.assign(backend, {
    dataFile,
    async [Symbol.asyncDispose]() {
      await backend.close();
    },
  });
}
