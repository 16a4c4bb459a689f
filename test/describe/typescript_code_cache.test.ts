/**
 * The inference worker's V8 code cache for TypeScript (describe/infer/load_typescript.js), each
 * step in a new Node process with its own temp folder: the first compiles and writes the cache,
 * the next compiles from it and gets the same module, and a cache folder others can write in is
 * never read.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";

const LOADER = path.join(REPO_ROOT, "describe", "infer", "load_typescript.js");

/** Loads TypeScript in a new process with `TMPDIR=tmp`, then saves the cache; prints the facts. */
async function loadInNewProcess(tmp: string): Promise<{ fromCache: boolean; version: string }> {
  const script = `
    const { loadTypescript, saveTypescriptCodeCache, typescriptFromCodeCache } = await import(${JSON.stringify(LOADER)});
    const ts = loadTypescript();
    const fromCache = typescriptFromCodeCache();
    ts.createSourceFile("x.ts", "export const x: number = 1;", ts.ScriptTarget.ESNext);
    saveTypescriptCodeCache();
    process.stdout.write(JSON.stringify({ fromCache, version: ts.version }));`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", script],
    { env: { ...process.env, TMPDIR: tmp } },
  );
  return JSON.parse(stdout) as { fromCache: boolean; version: string };
}

function cacheDir(tmp: string): string {
  return path.join(tmp, `convex-graphql-code-cache-${os.userInfo().uid}`);
}

describe("TypeScript's code cache", () => {
  const { version } = createRequire(import.meta.url)("typescript") as { version: string };

  it("is written by the first process and used by the next, giving the same module", async () => {
    await using tmp = tempDir("ts-code-cache-");
    expect(await loadInNewProcess(tmp.path)).toEqual({ fromCache: false, version });
    const files = fs.readdirSync(cacheDir(tmp.path));
    expect(files).toHaveLength(1);
    expect(fs.statSync(path.join(cacheDir(tmp.path), files[0] ?? "")).mode & 0o777).toBe(0o600);
    expect(await loadInNewProcess(tmp.path)).toEqual({ fromCache: true, version });
  }, 60_000);

  it("is not read from a folder that others can write in", async () => {
    await using tmp = tempDir("ts-code-cache-");
    await loadInNewProcess(tmp.path);
    fs.chmodSync(cacheDir(tmp.path), 0o777);
    expect(await loadInNewProcess(tmp.path)).toEqual({ fromCache: false, version });
  }, 60_000);
});
