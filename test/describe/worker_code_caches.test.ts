/**
 * The inference worker's code caches (describe/infer/load_typescript.js and
 * inference_bundle.js), each step in a new Node process with its own temp folder: the first
 * process compiles and writes them, the next one uses them and gets the same modules, a cache
 * folder others can write in is never read, and a bundle whose sources changed is built again.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";

const INFER_DIR = path.join(REPO_ROOT, "describe", "infer");

interface Loaded {
  readonly tsFromCache: boolean;
  readonly bundleFromCache: boolean;
  readonly version: string;
  readonly exports: string[];
}

/** Loads TypeScript and the inference modules in a new process with `TMPDIR=tmp`. */
async function loadInNewProcess(tmp: string): Promise<Loaded> {
  const module = (name: string): string => JSON.stringify(path.join(INFER_DIR, name));
  const script = `
    const ts = await import(${module("load_typescript.js")});
    const bundle = await import(${module("inference_bundle.js")});
    const typescript = ts.loadTypescript();
    const tsFromCache = ts.typescriptFromCodeCache();
    const inference = await bundle.importInferenceModules();
    typescript.createSourceFile("x.ts", "export const x: number = 1;", typescript.ScriptTarget.ESNext);
    ts.saveTypescriptCodeCache();
    process.stdout.write(JSON.stringify({ tsFromCache, bundleFromCache: bundle.inferenceModulesFromCache(),
      version: typescript.version, exports: Object.keys(inference) }));`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", script],
    { env: { ...process.env, TMPDIR: tmp } },
  );
  return JSON.parse(stdout) as Loaded;
}

function cacheDir(tmp: string): string {
  return path.join(tmp, `convex-graphql-code-cache-${os.userInfo().uid}`);
}

describe("the inference worker's code caches", () => {
  const { version } = createRequire(import.meta.url)("typescript") as { version: string };
  const fresh = { tsFromCache: false, bundleFromCache: false, version, exports: ["AppInference"] };
  const cached = { ...fresh, tsFromCache: true, bundleFromCache: true };

  it("are written by the first process and used by the next, giving the same modules", async () => {
    await using tmp = tempDir("code-cache-");
    expect(await loadInNewProcess(tmp.path)).toEqual(fresh);
    for (const file of fs.readdirSync(cacheDir(tmp.path)))
      expect(fs.statSync(path.join(cacheDir(tmp.path), file)).mode & 0o777).toBe(0o600);
    expect(await loadInNewProcess(tmp.path)).toEqual(cached);
  }, 60_000);

  it("are not read from a folder that others can write in", async () => {
    await using tmp = tempDir("code-cache-");
    await loadInNewProcess(tmp.path);
    fs.chmodSync(cacheDir(tmp.path), 0o777);
    expect(await loadInNewProcess(tmp.path)).toEqual(fresh);
  }, 60_000);

  it("build the bundle again when a file it was built from changed", async () => {
    await using tmp = tempDir("code-cache-");
    await loadInNewProcess(tmp.path);
    const file = path.join(cacheDir(tmp.path), "inference-modules.json");
    const entry = JSON.parse(fs.readFileSync(file, "utf8")) as { inputs: string[]; hash: string };
    expect(entry.inputs).toContain("describe/infer/app_inference.ts");
    // As if a source had changed since: the recorded hash no longer matches the files.
    fs.writeFileSync(file, JSON.stringify({ ...entry, hash: "0".repeat(64) }));
    expect(await loadInNewProcess(tmp.path)).toEqual({ ...cached, bundleFromCache: false });
    expect(await loadInNewProcess(tmp.path)).toEqual(cached);
  }, 60_000);
});
