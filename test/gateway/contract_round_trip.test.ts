/**
 * The schema round trip on the example app: derive the contract, write it (the real CLI's
 * `schema --out`), serve it as the curated contract, query it. Served, a printed contract prints
 * back to itself (the example app and the fixtures, unions and relations included).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { describeConvexDir } from "../../cli/app_description.ts";
import {
  contractSchema,
  derivedAppSchema,
  deriveSchema,
  printContract,
  startGateway,
} from "../../gateway/index.ts";
import { REPO_ROOT, startTestBackend, tempDir } from "../utils/backend.ts";
import { STEP_MS, within } from "../utils/waits.ts";
import { data } from "./support/gateway.ts";
import { TYPED_APP_DIR } from "./support/typed_app.ts";

it("derives, writes, serves and queries the example app's contract", async () => {
  await using dir = tempDir("convex-graphql-round-trip-");
  const file = path.join(dir.path, "schema.graphql");
  await promisify(execFile)(process.execPath, ["cli/bin.js", "schema", "--out", file], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  });
  expect(fs.readFileSync(file, "utf8")).toContain('@convex(mutation: "orders:placeOrder")');
  await using backend = await startTestBackend({ dir: REPO_ROOT });
  const schema = await derivedAppSchema(() => describeConvexDir(REPO_ROOT), { contractFile: file });
  const gateway = await within(
    startGateway({ convexUrl: backend.url, schema: () => schema.current(), port: 0, dev: true }),
    STEP_MS,
    "the gateway to start",
  );
  try {
    const placed = await data(
      gateway.url,
      `mutation { ordersPlaceOrder(dish: "ramen", table: 4, notes: "extra egg") }`,
    );
    const id = placed["ordersPlaceOrder"] as string;
    const read = await data(
      gateway.url,
      `query ($id: ID!) { ordersGetOrderById(id: $id) { _id dish table status notes } }`,
      { id },
    );
    expect(read["ordersGetOrderById"]).toEqual({
      _id: id,
      dish: "ramen",
      table: 4,
      status: "placed",
      notes: "extra egg",
    });
    const page = await data(
      gateway.url,
      `{ ordersListOrders(first: 5) { edges { node { dish } } } }`,
    );
    expect(page["ordersListOrders"]).toEqual({ edges: [{ node: { dish: "ramen" } }] });
  } finally {
    await gateway.close();
    schema.close();
  }
}, 180_000);

it("prints a served contract back to itself", async () => {
  for (const dir of [
    REPO_ROOT,
    TYPED_APP_DIR,
    path.join(REPO_ROOT, "test/fixtures/edge_types_app"),
    path.join(REPO_ROOT, "test/fixtures/chat_app"),
  ]) {
    const app = await describeConvexDir(dir);
    const printed = printContract(deriveSchema(app).schema);
    expect(printContract(contractSchema(printed, "schema.graphql", app))).toBe(printed);
  }
}, 180_000);
