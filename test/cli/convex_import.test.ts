/**
 * `npx convex import --table T FILE` (Convex's own CLI) against the embedded backend: JSONLines,
 * CSV and JSON arrays land in one transaction each, checked against `schema.ts`, and a live
 * subscriber sees the rows; a non-empty table needs --append or --replace; a bad row fails the
 * whole import with its row named, and nothing is written. `npx convex data` reads tables back.
 */
import fs from "node:fs";
import path from "node:path";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { expect, it } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { startTestBackend } from "../utils/backend.ts";
import { eventually } from "../utils/waits.ts";
import { appFolder, convexCli } from "./support/convex_cli.ts";

const ORDERS_JSONL = [
  '{"dish":"ramen","table":1,"status":"placed","createdAt":1}',
  "",
  '{"dish":"gyoza","table":2,"status":"preparing","createdAt":2}',
].join("\n");

const ORDERS_CSV = 'dish,table,status,createdAt\n"udon, large",3,placed,3\nmochi,4,ready,4\n';

it("imports JSONLines, CSV and JSON arrays as Convex's CLI sends them", async () => {
  await using backend = await startTestBackend();
  await using folder = appFolder();
  const write = (name: string, text: string): string => {
    fs.writeFileSync(path.join(folder.path, name), text);
    return name;
  };
  const importFile = (...args: string[]) =>
    convexCli(["import", "--table", ...args], backend, folder.path);
  const live = new ConvexClient(backend.url);
  let seen: string[] = [];
  live.onUpdate(api.orders.getActiveOrders, {}, (orders) => {
    seen = orders.map((order) => order.dish);
  });
  try {
    const first = await importFile("orders", write("orders.jsonl", ORDERS_JSONL));
    expect(first.stderr).toContain('Added 2 documents to table "orders".');
    expect(first.code).toBe(0);
    await eventually(() => seen.length === 2, "the subscriber to see the import");
    expect(seen).toEqual(["ramen", "gyoza"]);

    const refused = await importFile("orders", write("more.csv", ORDERS_CSV));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'Table "orders" has 2 documents: import with --append or --replace.',
    );

    const appended = await importFile("orders", "--append", "more.csv");
    expect(appended.stderr).toContain('Added 2 documents to table "orders".');
    const http = new ConvexHttpClient(backend.url);
    const orders = await http.query(api.orders.getActiveOrders, {});
    // CSV: a number where the entry reads as one, else the text (quoted commas kept).
    expect(orders.map((order) => [order.dish, order.table])).toEqual([
      ["ramen", 1],
      ["gyoza", 2],
      ["udon, large", 3],
      ["mochi", 4],
    ]);

    const array = JSON.stringify([{ dish: "soba", table: 5, status: "placed", createdAt: 5 }]);
    const replaced = await importFile("orders", "--replace", "-y", write("one.json", array));
    expect(replaced.stderr).toContain("4 of 4");
    expect(replaced.stderr).toContain('Added 1 documents to table "orders".');
    await eventually(() => seen.join() === "soba", "the subscriber to see the replacement");

    // `npx convex data` reads them back.
    const tables = await convexCli(["data"], backend, folder.path);
    expect(tables.stdout.split("\n")).toContain("orders");
    const rows = await convexCli(["data", "orders", "--format", "jsonl"], backend, folder.path);
    expect(rows.stdout).toContain('"dish": "soba"');
  } finally {
    await live.close();
  }
}, 240_000);

it("fails a whole import on one bad row, naming it, and writes nothing", async () => {
  await using backend = await startTestBackend();
  await using folder = appFolder();
  const rows = [
    { dish: "ramen", table: 1, status: "placed", createdAt: 1 },
    { dish: "gyoza", table: "two", status: "placed", createdAt: 2 },
  ];
  fs.writeFileSync(path.join(folder.path, "rows.json"), JSON.stringify(rows));
  const run = await convexCli(["import", "--table", "orders", "rows.json"], backend, folder.path);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain(
    'Row 2: Failed to insert or update a document in table "orders" because it does not match the schema',
  );
  const http = new ConvexHttpClient(backend.url);
  expect(await http.query(api.orders.getActiveOrders, {})).toEqual([]);

  fs.writeFileSync(path.join(folder.path, "system.jsonl"), '{"_id":"x","dish":"a"}\n');
  const system = await convexCli(
    ["import", "--table", "orders", "system.jsonl"],
    backend,
    folder.path,
  );
  expect(system.stderr).toContain('Line 1: field "_id" starts with "_"');

  const anonymous = await fetch(`${backend.url}/api/import/start_upload`, { method: "POST" });
  expect(anonymous.status).toBe(401);
}, 240_000);
