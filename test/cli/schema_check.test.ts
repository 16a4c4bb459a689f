/**
 * `convex-graphql schema --check` compares by binding: the example app against its committed
 * contract passes; a contract whose fields are renamed still passes (they keep their bindings), as
 * does one printed from an optional field that may also be null;
 * a drifted copy of the app's description (a function removed, an argument's type changed, a
 * result's type changed, a new public function) is reported with a readable diff (the contract's
 * line `-`, the derived field `+`), and the real CLI exits 1 on a contract the functions no
 * longer honour.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, expect, it } from "vitest";
import { deriveSchema, printContract, type AppDescription } from "../../gateway/index.ts";
import { describeConvexDir } from "../../cli/app_description.ts";
import { driftReport, schemaDrift } from "../../cli/schema_check.ts";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { within } from "../utils/waits.ts";

const CONTRACT = fs.readFileSync(path.join(REPO_ROOT, "schema.graphql"), "utf8");
let app: AppDescription;

beforeAll(async () => {
  app = await describeConvexDir(REPO_ROOT);
}, 120_000);

function drift(sdl: string, described: AppDescription = app) {
  return schemaDrift(sdl, "schema.graphql", described, deriveSchema(described).schema);
}

function lineOf(sdl: string, text: string): number {
  return sdl.slice(0, sdl.indexOf(text)).split("\n").length;
}

it("finds no drift between the example app and its contract", () => {
  expect(drift(CONTRACT)).toEqual({ breaking: [], added: [] });
});

it("finds no drift when the contract renames fields that keep their bindings", () => {
  const renamed = CONTRACT.replaceAll("ordersGetOrderById(", "order(").replaceAll(
    "ordersPlaceOrder(",
    "placeOrder(",
  );
  expect(renamed).toContain('order(id: ID!): Order @convex(query: "orders:getOrderById")');
  expect(drift(renamed)).toEqual({ breaking: [], added: [] });
});

it("finds no drift in a contract printed from an optional field that may be null", () => {
  // `{ ...message, ...(image ? { url: await ctx.storage.getUrl(id) } : {}) }`: `url?: string | null`.
  const described: AppDescription = {
    ...app,
    functions: [
      ...app.functions,
      {
        path: "files:listImages",
        kind: "query",
        visibility: "public",
        args: { type: "object", value: {} },
        returns: {
          type: "object",
          value: {
            url: {
              fieldType: { type: "union", value: [{ type: "string" }, { type: "null" }] },
              optional: true,
            },
          },
        },
      },
    ],
  };
  const printed = printContract(deriveSchema(described).schema);
  expect(printed).toContain("url: String\n");
  expect(drift(printed, described)).toEqual({ breaking: [], added: [] });
});

it("reports a removed function, a changed argument, a changed result and a new function", () => {
  const described: AppDescription = {
    ...app,
    functions: [
      ...app.functions
        .filter((fn) => fn.path !== "orders:getOrderById")
        .map((fn) => {
          if (fn.path === "orders:getOrdersByTable")
            return {
              ...fn,
              args: {
                type: "object",
                value: { table: { fieldType: { type: "string" }, optional: false } },
              },
            } as const;
          if (fn.path === "counters:get") return { ...fn, returns: { type: "string" } } as const;
          return fn;
        }),
      {
        path: "orders:brandNew",
        kind: "query",
        visibility: "public",
        args: { type: "object", value: {} },
        returns: { type: "string" },
      },
    ],
  };
  const found = drift(CONTRACT, described);
  const at = (text: string) => `schema.graphql:${lineOf(CONTRACT, text)}`;
  expect(found.breaking).toEqual(
    expect.arrayContaining([
      `${at("countersGet(")}: Query.countersGet: Float cannot hold the result, v.string()\n    - countersGet(name: String!): Float! @convex(query: "counters:get")`,
      `${at("ordersGetOrderById(")}: Query.ordersGetOrderById: no Convex function "orders:getOrderById"\n    - ordersGetOrderById(id: ID!): Order @convex(query: "orders:getOrderById")`,
      `${at("ordersGetOrdersByTable(")}: Query.ordersGetOrdersByTable(table:): Float does not fit v.string() (orders:getOrdersByTable)\n    - ordersGetOrdersByTable(table: Float!): [Order!]! @convex(query: "orders:getOrdersByTable")`,
    ]),
  );
  // The relations through orders:getOrderById break too, each at its own line.
  expect(found.breaking.filter((line) => line.includes("Doc: Order @convexRelation"))).toHaveLength(
    2,
  );
  expect(found.added).toEqual([
    'query orders:brandNew is not in the contract\n    + ordersBrandNew: String! @convex(query: "orders:brandNew")',
  ]);
  expect(driftReport(found, false).fails).toBe(true);
  const onlyAdded = { breaking: [], added: found.added };
  expect(driftReport(onlyAdded, false)).toEqual({
    text: '⚠ new: query orders:brandNew is not in the contract\n    + ordersBrandNew: String! @convex(query: "orders:brandNew")',
    fails: false,
  });
  expect(driftReport(onlyAdded, true).fails).toBe(true);
});

it("the CLI exits 1 on a contract the functions no longer honour, with the diff", async () => {
  await using dir = tempDir("convex-graphql-contract-");
  const file = path.join(dir.path, "schema.graphql");
  // A contract binding a function that does not exist (any more).
  const sdl = CONTRACT.replaceAll(
    '@convex(query: "counters:get")',
    '@convex(query: "counters:retired")',
  );
  fs.writeFileSync(file, sdl);
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, "cli", "bin.js"),
      "schema",
      "--check",
      "--contract",
      file,
      "--dir",
      REPO_ROOT,
    ],
    { cwd: REPO_ROOT },
  );
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const code = await within(
    new Promise<number | null>((resolve) => child.once("exit", resolve)),
    90_000,
    "schema --check",
  );
  expect(code).toBe(1);
  const shown = path.relative(REPO_ROOT, file);
  expect(stdout).toContain(
    `✖ ${shown}:${lineOf(sdl, "countersGet(")}: Query.countersGet: no Convex function "counters:retired"\n    - countersGet(name: String!): Float! @convex(query: "counters:retired")`,
  );
  // counters:get is now bound by no field of the contract: a warning, not a failure.
  expect(stdout).toContain("⚠ new: query counters:get is not in the contract");
}, 120_000);

it("the CLI says how to write a contract when there is none, without the usage text", async () => {
  await using dir = tempDir("convex-graphql-contract-");
  const missing = path.join(dir.path, "schema.graphql");
  const result = await promisify(execFile)(
    process.execPath,
    [path.join(REPO_ROOT, "cli", "bin.js"), "schema", "--check", "--contract", missing],
    { cwd: REPO_ROOT },
  ).then(
    () => ({ code: 0, stderr: "" }),
    (error: { code: number; stderr: string }) => error,
  );
  expect(result.code).toBe(2);
  const shown = path.relative(REPO_ROOT, missing);
  expect(result.stderr).toBe(
    `convex-graphql: --check: no contract at ${shown}: write one with \`convex-graphql schema --dir . --out ${shown}\`, or name another with --contract FILE\n`,
  );
}, 90_000);
