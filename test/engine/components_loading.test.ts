/**
 * Loading and keeping an app with components, on a copy of the components fixture app: a
 * `convex.config.ts` that installs two components under one name, a component whose module
 * throws at load, and a component folder without a definition are each refused with the file
 * named, while the previous version keeps serving; the component tables and their data survive
 * a restart of the backend on the same data file.
 */
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { httpClient, serve } from "../sync/support/clients.ts";
import { step } from "../utils/waits.ts";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "components_app");

const fns = {
  play: makeFunctionReference<
    "mutation",
    { player: string; points: number },
    { ok: boolean; retryAfter: number | null }
  >("game:play"),
  stats: makeFunctionReference<
    "query",
    Record<string, never>,
    { count: number; sum: number; plays: number }
  >("game:stats"),
};

describe("loading components", () => {
  it("refuses a broken component tree, naming the file, and keeps serving the last good one", async () => {
    await using copy = tempDir("convex-components-app-");
    await cp(FIXTURE, copy.path, { recursive: true });
    await using backend = await serve({ dir: copy.path });
    const client = httpClient(backend.url);
    await step(client.mutation(fns.play, { player: "ada", points: 4 }), "play");
    const config = path.join(copy.path, "convex", "convex.config.ts");
    const original = await readFile(config, "utf8");

    // 1. Two components under one name.
    await writeFile(
      config,
      original.replace("app.use(counter);", 'app.use(counter, { name: "scores" });'),
    );
    let report = await step(backend.engine.reload(), "a reload");
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      {
        file: config,
        reason: 'Component name "scores" is used more than once: give each use() a name.',
      },
    ]);
    expect(await step(client.query(fns.stats, {}), "stats")).toEqual({
      count: 1,
      sum: 4,
      plays: 1,
    });

    // An instance name must be an identifier (it becomes part of table and function paths).
    await writeFile(
      config,
      original.replace("app.use(counter);", 'app.use(counter, { name: "a/b" });'),
    );
    report = await step(backend.engine.reload(), "a reload");
    expect(report.problems).toEqual([
      {
        file: config,
        reason:
          'Component name "a/b" is invalid: names may only contain letters, numbers and underscores.',
      },
    ]);

    // 2. A component module that throws while it loads.
    await writeFile(config, original);
    const lib = path.join(copy.path, "convex", "counter", "lib.ts");
    const libSource = await readFile(lib, "utf8");
    await writeFile(lib, `${libSource}\nthrow new Error("counter failed to load");\n`);
    report = await step(backend.engine.reload(), "a reload");
    expect(report.ok).toBe(false);
    expect(report.problems[0]?.file).toBe(lib);
    expect(report.problems[0]?.reason).toContain("Uncaught Error: counter failed to load");

    // 3. A use() of a folder that is not a component.
    await writeFile(lib, libSource);
    await writeFile(
      config,
      `${original.replace('import counter from "./counter/convex.config.js";', 'import counter from "./counter/convex.config.js";\nimport ghost from "./ghost/convex.config.js";')}\napp.use(ghost);\n`,
    );
    report = await step(backend.engine.reload(), "a reload");
    expect(report.ok).toBe(false);
    expect(report.problems[0]?.file).toBe(config);
    expect(report.problems[0]?.reason).toContain("ghost/convex.config.js");
    expect(await step(client.query(fns.stats, {}), "stats")).toEqual({
      count: 1,
      sum: 4,
      plays: 1,
    });

    // Fixed: the new version serves.
    await writeFile(config, original);
    report = await step(backend.engine.reload(), "a reload");
    expect(report.ok).toBe(true);
  }, 60_000);

  it("keeps component tables and their data across a restart", async () => {
    await using data = tempDir("convex-components-data-");
    const dataFile = path.join(data.path, "data.sqlite3");
    {
      await using backend = await serve({ dir: FIXTURE, dataFile });
      const client = httpClient(backend.url);
      await step(client.mutation(fns.play, { player: "bo", points: 6 }), "play");
      await step(client.mutation(fns.play, { player: "cy", points: 9 }), "play");
    }
    await using backend = await serve({ dir: FIXTURE, dataFile });
    const client = httpClient(backend.url);
    expect(await step(client.query(fns.stats, {}), "stats")).toEqual({
      count: 2,
      sum: 15,
      plays: 2,
    });
    // The rate limiter's state came back too: bo has one play left in this window.
    expect((await step(client.mutation(fns.play, { player: "bo", points: 1 }), "play")).ok).toBe(
      true,
    );
    expect((await step(client.mutation(fns.play, { player: "bo", points: 1 }), "play")).ok).toBe(
      false,
    );
  }, 60_000);
});
