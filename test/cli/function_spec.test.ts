/**
 * A gateway with no `convex/` folder: `convex-graphql function-spec` prints the example app's
 * functions in Convex's function-spec format, and `gateway --function-spec FILE` (a real CLI
 * process) serves the schema derived from it against the embedded backend.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { printSchema } from "graphql";
import { expect, it } from "vitest";
import { deriveSchema, descriptionFromSpec } from "../../gateway/index.ts";
import { describeConvexDir } from "../../cli/app_description.ts";
import { REPO_ROOT, startTestBackend, tempDir } from "../utils/backend.ts";
import { post } from "../gateway/support/gateway.ts";
import { within } from "../utils/waits.ts";

const CLI = path.join(REPO_ROOT, "cli", "bin.js");

/** Runs the CLI to completion; resolves with its stdout. */
async function runCli(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const code = await within(
    new Promise<number | null>((resolve) => child.once("exit", resolve)),
    60_000,
    `convex-graphql ${args.join(" ")}`,
  );
  expect(code).toBe(0);
  return stdout;
}

it("derives from a function spec the same schema as from the folder", async () => {
  const spec = JSON.parse(await runCli(["function-spec", "--dir", REPO_ROOT])) as {
    functions: { identifier: string; functionType: string }[];
  };
  expect(spec.functions).toContainEqual(
    expect.objectContaining({ identifier: "orders.js:placeOrder", functionType: "Mutation" }),
  );
  const fromSpec = deriveSchema(descriptionFromSpec(spec, "spec.json")).schema;
  const fromDir = deriveSchema(await describeConvexDir(REPO_ROOT)).schema;
  expect(printSchema(fromSpec)).toBe(printSchema(fromDir));
}, 120_000);

it("refuses a file that is not a function spec, naming it", () => {
  expect(() => descriptionFromSpec({ functions: [{ functionType: "Query" }] }, "bad.json")).toThrow(
    "bad.json: functions[0]: has no `identifier`",
  );
  expect(() => descriptionFromSpec([], "list.json")).toThrow(
    "list.json: expected Convex's function spec: an object with a `functions` array",
  );
});

it("serves a gateway started from a function-spec file", async () => {
  await using backend = await startTestBackend({ dir: REPO_ROOT });
  await using dir = tempDir();
  const file = path.join(dir.path, "function_spec.json");
  fs.writeFileSync(file, await runCli(["function-spec", "--dir", REPO_ROOT]));
  const gateway = spawn(
    process.execPath,
    [CLI, "gateway", "--function-spec", file, "--convex-url", backend.url, "--port", "0"],
    { cwd: dir.path, stdio: ["ignore", "pipe", "pipe"] },
  );
  using _stop = { [Symbol.dispose]: () => void gateway.kill() };
  const url = await within(
    new Promise<string>((resolve) => {
      let out = "";
      gateway.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const match = /ready at (http:\S+)/.exec(out);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
    }),
    60_000,
    "the gateway to start",
  );
  // (Two CLI processes start here: on a busy machine that alone can take a while.)
  const bumped = await post(url, { query: 'mutation { countersIncrement(name: "spec") }' });
  expect(bumped.json()).toEqual({ data: { countersIncrement: 1 } });
  const read = await post(url, { query: '{ countersGet(name: "spec") }' });
  expect(read.json()).toEqual({ data: { countersGet: 1 } });
}, 180_000);
