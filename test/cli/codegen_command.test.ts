/**
 * A Convex app without `convex/_generated/` (what `npx convex dev` writes only while pushing to a
 * deployment), run as a user runs it: `convex-graphql dev` stops with how to write it instead of
 * only the bundler's "Could not resolve" lines, `convex-graphql codegen` writes it offline, and the
 * app then loads.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT, startTestBackend, tempDir } from "../utils/backend.ts";
import { within } from "../utils/waits.ts";

const TASKS_APP = path.join(REPO_ROOT, "test", "fixtures", "tasks_app");

/** Runs `convex-graphql ...args` to its exit; its code and output. */
async function cli(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "cli", "bin.js"), ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const code = await within(
    new Promise<number | null>((resolve) => child.once("exit", resolve)),
    60_000,
    `convex-graphql ${args[0] ?? ""} to exit`,
  );
  return { code, output };
}

it("tells how to write a missing convex/_generated/, and `codegen` writes it", async () => {
  await using folder = tempDir();
  const app = path.join(folder.path, "app");
  fs.cpSync(path.join(TASKS_APP, "convex"), path.join(app, "convex"), { recursive: true });
  fs.rmSync(path.join(app, "convex", "_generated"), { recursive: true });
  const data = path.join(folder.path, "data.sqlite3");

  const dev = await cli([
    "dev",
    "--dir",
    app,
    "--data",
    data,
    "--port",
    "0",
    "--backend-port",
    "0",
    "--site-port",
    "0",
  ]);
  expect(dev.code).toBe(1);
  expect(dev.output).toContain(
    `convex-graphql: ${path.join(app, "convex", "_generated")} is missing (the functions import it): write it with \`convex-graphql codegen --dir ${app}\`.`,
  );

  const codegen = await cli(["codegen", "--dir", app]);
  expect(codegen).toEqual({
    code: 0,
    output: `✔ Wrote ${path.join(app, "convex", "_generated")}\n`,
  });
  for (const file of ["api.d.ts", "api.js", "dataModel.d.ts", "server.d.ts", "server.js"]) {
    expect(fs.readFileSync(path.join(app, "convex", "_generated", file), "utf8")).toBe(
      fs.readFileSync(path.join(TASKS_APP, "convex", "_generated", file), "utf8"),
    );
  }
  await using backend = await startTestBackend({
    dir: app,
    dataFile: data,
    env: { CLERK_JWT_ISSUER_DOMAIN: "https://issuer.test" },
  });
  expect(backend.engine.functionsLoaded).toBe(true);
});
