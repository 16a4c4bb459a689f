/**
 * Generated code for an app with components: the components fixture's committed `_generated/`
 * (the app's, and its local `counter` component's) is exactly what the project's codegen writes,
 * and it carries what `npx convex codegen` writes for components: `components` in `api.js`
 * (`componentsGeneric()`) and in `api.d.ts` (each child's `ComponentApi`, from its package or
 * from the local component's own generated `component.ts`).
 *
 * The story: copy the fixture's `convex/` without any `_generated/` into a fresh folder, run
 * the generator there, and compare every generated file with the committed one.
 */
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { runFixtureCodegen } from "../../cli/convex_codegen.ts";
import { REPO_ROOT } from "../utils/backend.ts";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "components_app");

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("codegen for an app with components", () => {
  test("writes the committed _generated/ of the app and of its local component", async () => {
    const appDir = await tempDir("convex-component-codegen-");
    const source = path.join(FIXTURE, "convex");
    await cp(source, path.join(appDir, "convex"), {
      recursive: true,
      filter: (file) => path.basename(file) !== "_generated",
    });

    await runFixtureCodegen(appDir);

    for (const folder of ["_generated", "counter/_generated"]) {
      const generatedDir = path.join(appDir, "convex", folder);
      const committedDir = path.join(source, folder);
      const files = (await readdir(committedDir)).sort();
      expect((await readdir(generatedDir)).sort(), folder).toEqual(files);
      for (const file of files) {
        const generated = await readFile(path.join(generatedDir, file), "utf8");
        const committed = await readFile(path.join(committedDir, file), "utf8");
        expect(generated, `${folder}/${file}`).toBe(committed);
      }
    }
    const api = await readFile(path.join(source, "_generated", "api.d.ts"), "utf8");
    expect(api).toContain(
      '"rateLimiter": import("@convex-dev/rate-limiter/_generated/component.js").ComponentApi<"rateLimiter">;',
    );
    expect(api).toContain(
      '"scores": import("@convex-dev/aggregate/_generated/component.js").ComponentApi<"scores">;',
    );
    expect(api).toContain(
      '"counter": import("../counter/_generated/component.js").ComponentApi<"counter">;',
    );
    const apiJs = await readFile(path.join(source, "_generated", "api.js"), "utf8");
    expect(apiJs).toContain("export const components = componentsGeneric();");
  }, 120_000);
});
