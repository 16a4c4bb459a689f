/**
 * `convex-graphql schema --check`: the example app against its committed contract passes; a
 * drifted copy of the app's description (a function removed, an argument's type changed, a new
 * public function) is reported with a readable diff, and the real CLI exits 1 on a contract the
 * functions no longer honour.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { buildSchema } from "graphql";
import { expect, it } from "vitest";
import { deriveSchema, type AppDescription } from "../../gateway/index.ts";
import { describeConvexDir } from "../../cli/app_description.ts";
import { driftReport, schemaDrift } from "../../cli/schema_check.ts";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { within } from "../utils/waits.ts";

const contract = () => buildSchema(fs.readFileSync(path.join(REPO_ROOT, "schema.graphql"), "utf8"));

/** The example app's description with `edit` applied to its functions. */
async function drifted(edit: (app: AppDescription) => AppDescription): Promise<AppDescription> {
  return edit(await describeConvexDir(REPO_ROOT));
}

it("finds no drift between the example app and its contract", async () => {
  const drift = schemaDrift(contract(), deriveSchema(await describeConvexDir(REPO_ROOT)).schema);
  expect(drift).toEqual({ breaking: [], dangerous: [], added: [] });
});

it("reports a removed function, a changed argument and a new function", async () => {
  const app = await drifted((described) => ({
    ...described,
    functions: [
      ...described.functions
        .filter((fn) => fn.path !== "orders:getOrderById")
        .map((fn) =>
          fn.path === "orders:getOrdersByTable"
            ? {
                ...fn,
                args: {
                  type: "object",
                  value: { table: { fieldType: { type: "string" }, optional: false } },
                },
              }
            : fn,
        ),
      {
        path: "orders:brandNew",
        kind: "query",
        visibility: "public",
        args: { type: "object", value: {} },
        returns: { type: "string" },
      },
    ] as AppDescription["functions"],
  }));
  const drift = schemaDrift(contract(), deriveSchema(app).schema);
  expect(drift.breaking).toContain("Query.ordersGetOrderById was removed.");
  expect(drift.breaking).toContain("Subscription.ordersGetOrderById was removed.");
  expect(drift.breaking).toContain(
    "Query.ordersGetOrdersByTable arg table has changed type from Float! to String!.",
  );
  expect(drift.added).toContain("Query.ordersBrandNew is not in the contract");
  expect(driftReport(drift, false).fails).toBe(true);
  const onlyAdded = { breaking: [], dangerous: [], added: drift.added };
  expect(driftReport(onlyAdded, false)).toEqual({
    text: "⚠ new: Query.ordersBrandNew is not in the contract\n⚠ new: Subscription.ordersBrandNew is not in the contract",
    fails: false,
  });
  expect(driftReport(onlyAdded, true).fails).toBe(true);
}, 120_000);

it("the CLI exits 1 on a contract the functions no longer honour", async () => {
  await using dir = tempDir("convex-graphql-contract-");
  const file = path.join(dir.path, "schema.graphql");
  const committed = fs.readFileSync(path.join(REPO_ROOT, "schema.graphql"), "utf8");
  // A contract promising a field no function provides.
  fs.writeFileSync(file, committed.replace("type Query {", "type Query {\n  retired: String"));
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
  expect(stdout).toContain("✖ breaking: Query.retired was removed.");
}, 120_000);
