/**
 * The committed `convex/_generated/` is exactly what Convex's own generator
 * writes for the example app, so nobody hand-edits it and it never goes stale.
 *
 * The story: copy the app (its `package.json` and `convex/` without
 * `_generated/`) into a fresh folder, run the generator there the way the
 * project always runs it (`runConvexCodegen`), and compare every generated
 * file with the committed one, byte for byte.
 *
 * The copy gets no `node_modules`: the generator only lists the modules and
 * names them in import statements, it never resolves `convex` or loads the
 * app's code, so the output does not depend on where `convex` is installed.
 */
import { Buffer } from "node:buffer";
import { cp, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, onTestFinished, test } from "vitest";
import { runConvexCodegen } from "../../cli/convex_codegen.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** What Convex generates for an app without components. */
const GENERATED_FILES = ["api.d.ts", "api.js", "dataModel.d.ts", "server.d.ts", "server.js"];

/** A fresh temp folder, removed when the current test finishes. */
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe("convex/_generated", () => {
  test("is byte for byte what `convex codegen` writes for convex/", async () => {
    // 1. A copy of the app, minus its generated code.
    const appDir = await tempDir("convex-codegen-");
    await cp(path.join(repoRoot, "package.json"), path.join(appDir, "package.json"));
    if (await exists(path.join(repoRoot, "convex.json"))) {
      await cp(path.join(repoRoot, "convex.json"), path.join(appDir, "convex.json"));
    }
    const functionsDir = path.join(repoRoot, "convex");
    await cp(functionsDir, path.join(appDir, "convex"), {
      recursive: true,
      filter: (source) => path.relative(functionsDir, source) !== "_generated",
    });
    expect(await exists(path.join(appDir, "convex", "_generated"))).toBe(false);

    // 2. The generator, run as the project runs it.
    await runConvexCodegen(appDir);

    // 3. The same files as committed, with the same bytes.
    const generatedDir = path.join(appDir, "convex", "_generated");
    const committedDir = path.join(repoRoot, "convex", "_generated");
    expect((await readdir(generatedDir)).sort()).toEqual(GENERATED_FILES);
    expect((await readdir(committedDir)).sort()).toEqual(GENERATED_FILES);
    for (const file of GENERATED_FILES) {
      const generated = await readFile(path.join(generatedDir, file));
      const committed = await readFile(path.join(committedDir, file));
      // Text first, for a readable diff; then the bytes, which text decoding could hide.
      expect(generated.toString("utf8"), file).toBe(committed.toString("utf8"));
      expect(Buffer.compare(generated, committed), file).toBe(0);
    }
  }, 60_000);

  test("a failed run throws with the CLI's own explanation", async () => {
    // No package.json: the CLI refuses to treat the folder as a Convex app.
    const notAnApp = await tempDir("convex-codegen-empty-");

    await expect(runConvexCodegen(notAnApp)).rejects.toThrow(
      /exited with code 1:\n.*Unable to read your package\.json/s,
    );
  }, 60_000);
});
