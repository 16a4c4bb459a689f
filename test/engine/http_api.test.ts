/**
 * Convex's HTTP API as the official `ConvexHttpClient` uses it, against a real backend on port 0.
 *
 * The stories: the example app's order life cycle (CRUD through `orders:*`); patch, replace and
 * delete semantics through the fixture app; how failures reach the client (internal and unknown
 * functions, the wrong kind, `ConvexError` data, plain errors), with nothing written by a failed
 * mutation; determinism inside queries and mutations; and `consistentQuery`, which reads every
 * query of one client at the timestamp `/api/query_ts` gave it.
 */
import { ConvexError } from "convex/values";
import { describe, expect, it } from "vitest";
import {
  REPO_ROOT,
  anyMutation,
  anyQuery,
  failure,
  fixture,
  newClient,
  queryTs,
  raw,
  serve,
  type ItemDoc,
} from "./support/fixture.ts";
import { step } from "../utils/waits.ts";
import { api } from "../../convex/_generated/api.js";

const { orders } = api;

/** The `data` of a `ConvexError` the client threw (fails the test for any other error). */
function convexErrorData(error: Error): unknown {
  expect(error).toBeInstanceOf(ConvexError);
  return (error as ConvexError<never>).data;
}

describe("the example app's orders over ConvexHttpClient", () => {
  it("places, reads, moves and lists orders", async () => {
    await using app = await serve({ dir: REPO_ROOT });
    const { client } = app;
    const before = Date.now();
    const soup = await step(
      client.mutation(orders.placeOrder, { dish: "soup", table: 4, notes: "no salt" }),
    );
    const bread = await step(client.mutation(orders.placeOrder, { dish: "bread", table: 4 }));
    const tea = await step(client.mutation(orders.placeOrder, { dish: "tea", table: 7 }));
    const after = Date.now();
    expect(new Set([soup, bread, tea]).size).toBe(3);

    // Read back: the fields the mutation wrote, plus system fields.
    const order = await step(client.query(orders.getOrderById, { id: soup }));
    expect(order).toMatchObject({
      _id: soup,
      dish: "soup",
      table: 4,
      status: "placed",
      notes: "no salt",
    });
    expect(order!.createdAt).toBeGreaterThanOrEqual(before);
    expect(order!.createdAt).toBeLessThanOrEqual(after);
    expect(order!._creationTime).toBeGreaterThanOrEqual(before);
    expect(order!._creationTime).toBeLessThanOrEqual(after + 1);
    // An optional field that was not given is absent, not null.
    const breadOrder = await step(client.query(orders.getOrderById, { id: bread }));
    expect(breadOrder).not.toBeNull();
    expect(Object.keys(breadOrder!).sort()).toEqual(
      ["_creationTime", "_id", "createdAt", "dish", "status", "table"].sort(),
    );

    // Move one order forward; the other orders are untouched.
    await step(client.mutation(orders.updateStatus, { id: soup, status: "preparing" }));
    expect((await step(client.query(orders.getOrderById, { id: soup })))?.status).toBe("preparing");
    expect((await step(client.query(orders.getOrderById, { id: bread })))?.status).toBe("placed");

    // The by_table index: per table, oldest first; an unknown table has none.
    const table4 = await step(client.query(orders.getOrdersByTable, { table: 4 }));
    expect(table4.map((o) => [o._id, o.dish, o.status])).toEqual([
      [soup, "soup", "preparing"],
      [bread, "bread", "placed"],
    ]);
    expect(
      (await step(client.query(orders.getOrdersByTable, { table: 7 }))).map((o) => o._id),
    ).toEqual([tea]);
    expect(await step(client.query(orders.getOrdersByTable, { table: 99 }))).toEqual([]);
  });

  it("refuses a backwards transition with the app's ConvexError, and changes nothing", async () => {
    await using app = await serve({ dir: REPO_ROOT });
    const { client } = app;
    const id = await step(client.mutation(orders.placeOrder, { dish: "cake", table: 1 }));
    await step(client.mutation(orders.updateStatus, { id, status: "served" }));

    const error = await failure(client.mutation(orders.updateStatus, { id, status: "placed" }));
    expect(convexErrorData(error)).toEqual({
      code: "INVALID_TRANSITION",
      message: `Cannot move order ${id} from "served" back to "placed"`,
    });
    expect((await step(client.query(orders.getOrderById, { id })))?.status).toBe("served");
    // Setting the current status again is a no-op, not an error.
    expect(await step(client.mutation(orders.updateStatus, { id, status: "served" }))).toBe(null);
  });
});

describe("patch, replace and delete", () => {
  const start = { group: "crud", rank: 1, label: "a", meta: { size: 1, color: "red" }, note: "n" };

  it("patch merges top-level fields shallowly and keeps the system fields", async () => {
    await using app = await serve();
    const { client } = app;
    const id = await step(client.mutation(fixture.items.insert, start));
    const original = (await step(client.query(fixture.items.get, { id })))!;

    await step(
      client.mutation(fixture.items.patch, { id, set: { label: "b", meta: { size: 2 } } }),
    );
    const patched = (await step(client.query(fixture.items.get, { id })))!;
    // `meta` is replaced as a whole (its `color` is gone); untouched fields stay.
    expect(patched).toEqual({
      _id: id,
      _creationTime: original._creationTime,
      group: "crud",
      rank: 1,
      label: "b",
      meta: { size: 2 },
      note: "n",
    } satisfies ItemDoc);
    expect(patched.meta).not.toHaveProperty("color");
  });

  it("patch with an undefined field removes it", async () => {
    await using app = await serve();
    const { client } = app;
    const id = await step(client.mutation(fixture.items.insert, start));
    await step(client.mutation(fixture.items.patch, { id, unset: ["note"] }));
    const doc = (await step(client.query(fixture.items.get, { id })))!;
    expect(doc).not.toHaveProperty("note");
    expect(doc).toMatchObject({ label: "a", meta: { size: 1, color: "red" } });

    // Removing and setting in one patch.
    await step(
      client.mutation(fixture.items.patch, { id, set: { note: "back" }, unset: ["meta"] }),
    );
    const again = (await step(client.query(fixture.items.get, { id })))!;
    expect(again).not.toHaveProperty("meta");
    expect(again.note).toBe("back");
  });

  it("replace swaps the whole document but keeps _id and _creationTime", async () => {
    await using app = await serve();
    const { client } = app;
    const id = await step(client.mutation(fixture.items.insert, start));
    const original = (await step(client.query(fixture.items.get, { id })))!;
    await step(
      client.mutation(fixture.items.replace, {
        id,
        value: { group: "other", rank: 9, label: "z" },
      }),
    );
    expect(await step(client.query(fixture.items.get, { id }))).toEqual({
      _id: id,
      _creationTime: original._creationTime,
      group: "other",
      rank: 9,
      label: "z",
    });
  });

  it("delete removes the document; writing to it afterwards fails", async () => {
    await using app = await serve();
    const { client } = app;
    const id = await step(client.mutation(fixture.items.insert, start));
    const keep = await step(client.mutation(fixture.items.insert, { ...start, label: "keep" }));
    await step(client.mutation(fixture.items.remove, { id }));
    expect(await step(client.query(fixture.items.get, { id }))).toBeNull();
    expect((await step(client.query(fixture.items.get, { id: keep })))?.label).toBe("keep");
    expect(await step(client.query(fixture.checks.count, { table: "items" }))).toBe(1);

    const deleteAgain = await failure(client.mutation(fixture.items.remove, { id }));
    expect(deleteAgain.message).toContain(`Delete on nonexistent document ID ${id}`);
    const patchDeleted = await failure(
      client.mutation(fixture.items.patch, { id, set: { label: "x" } }),
    );
    expect(patchDeleted.message).toContain(`Update on nonexistent document ID ${id}`);
    const replaceDeleted = await failure(
      client.mutation(fixture.items.replace, { id, value: start }),
    );
    expect(replaceDeleted.message).toContain(`Replace on nonexistent document ID ${id}`);
  });
});

describe("failures as the client sees them", () => {
  it("refuses internal functions from outside, and runs nothing", async () => {
    await using app = await serve();
    const { client } = app;
    const mutationError = await failure(
      client.mutation(anyMutation("failures:secretMutation"), {}),
    );
    expect(mutationError.message).toContain(
      "Could not find public function for 'failures:secretMutation'",
    );
    const queryError = await failure(client.query(anyQuery("failures:secretQuery"), {}));
    expect(queryError.message).toContain(
      "Could not find public function for 'failures:secretQuery'",
    );
    // The generic endpoint refuses them too.
    const viaFunction = await raw(app.url, "/api/function", {
      body: { path: "failures:secretQuery", args: {}, format: "convex_encoded_json" },
    });
    expect(viaFunction.text).toContain("Could not find public function for 'failures:secretQuery'");
    expect(await step(client.query(fixture.checks.journal, {}))).toEqual([]);
  });

  it("reports unknown functions and modules", async () => {
    await using app = await serve();
    const { client } = app;
    for (const path of ["items:nothing", "nowhere:fn", "items"]) {
      const error = await failure(client.query(anyQuery(path), {}), path);
      expect(error.message).toContain(`Could not find public function for '${path}'`);
    }
  });

  it("refuses to run a function as the wrong kind", async () => {
    await using app = await serve();
    const { client } = app;
    const asMutation = await failure(client.mutation(anyMutation("failures:aQuery"), {}));
    expect(asMutation.message).toContain(
      "Trying to execute failures:aQuery as Mutation, but it is defined as Query.",
    );
    const asQuery = await failure(client.query(anyQuery("failures:aMutation"), {}));
    expect(asQuery.message).toContain(
      "Trying to execute failures:aMutation as Query, but it is defined as Mutation.",
    );
    // The mutation's handler never ran.
    expect(await step(client.query(fixture.checks.journal, {}))).toEqual([]);
    // Each works as its own kind.
    expect(await step(client.query(anyQuery("failures:aQuery"), {}))).toBe("query result");
    expect(await step(client.mutation(anyMutation("failures:aMutation"), {}))).toBe(
      "mutation result",
    );
  });

  it("delivers ConvexError data to the client as err.data and rolls the mutation back", async () => {
    await using app = await serve();
    const { client } = app;
    const error = await failure(
      client.mutation(anyMutation("failures:convexError"), { code: "TEAPOT" }),
    );
    expect(convexErrorData(error)).toEqual({
      code: "TEAPOT",
      message: "Failed with TEAPOT",
      count: 3n,
      nested: { ok: false },
    });
    // A string payload arrives as a string.
    const stringError = await failure(client.query(anyQuery("failures:convexErrorString"), {}));
    expect(convexErrorData(stringError)).toBe("just a string");
    // The journal entry written before the throw was not committed.
    expect(await step(client.query(fixture.checks.journal, {}))).toEqual([]);
  });

  it("reports a plain Error as a server error with its message, not as ConvexError", async () => {
    await using app = await serve();
    const { client } = app;
    const error = await failure(client.mutation(anyMutation("failures:plainError"), {}));
    expect(error).not.toBeInstanceOf(ConvexError);
    expect(error.message).toMatch(/\[Request ID: \w+\] Server Error/);
    expect(error.message).toContain("Uncaught Error: plain failure from the handler");
    expect(await step(client.query(fixture.checks.journal, {}))).toEqual([]);
  });
});

describe("determinism inside queries and mutations", () => {
  it("freezes Date.now() for the whole execution and seeds Math.random()", async () => {
    await using app = await serve();
    const before = Date.now();
    const clock = await step(app.client.query(fixture.determinism.clock, {}));
    const after = Date.now();
    // The query spins 15 ms of real time between the two reads: the clock did not move.
    expect(clock.now2).toBe(clock.now1);
    expect(clock.date).toBe(clock.now1);
    expect(clock.now1).toBeGreaterThanOrEqual(before);
    expect(clock.now1).toBeLessThanOrEqual(after);
    // Randomness is still random within the execution.
    expect(clock.random1).not.toBe(clock.random2);
    for (const r of [clock.random1, clock.random2]) {
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(1);
    }
  });

  it("refuses fetch and setTimeout in a mutation, and commits nothing", async () => {
    await using app = await serve();
    const { client } = app;
    const fetchError = await failure(client.mutation(anyMutation("determinism:callsFetch"), {}));
    expect(fetchError.message).toContain("Can't use fetch() in queries and mutations");
    const timerError = await failure(
      client.mutation(anyMutation("determinism:callsSetTimeout"), {}),
    );
    expect(timerError.message).toContain("Can't use setTimeout in queries and mutations");
    expect(await step(client.query(fixture.checks.journal, {}))).toEqual([]);
  });

  it("refuses writes from a query, and writes nothing", async () => {
    await using app = await serve();
    const { client } = app;
    // The syscall `db.insert` makes, made from a query: the backend refuses it.
    const error = await failure(client.query(anyQuery("determinism:queryInserts"), {}));
    expect(error.message).toContain("Write operations are not allowed in queries");
    // A query's `ctx.db` has no write methods at all.
    const viaDb = await failure(client.query(anyQuery("determinism:queryInsertsViaDb"), {}));
    expect(viaDb.message).toContain("db.insert is not a function");
    expect(await step(client.query(fixture.checks.count, { table: "journal" }))).toBe(0);
  });
});

describe("consistentQuery (/api/query_ts + /api/query_at_ts)", () => {
  it("reads every query of one client at the same timestamp", async () => {
    await using app = await serve();
    const writer = app.client;
    await step(writer.mutation(fixture.items.insert, { group: "c", rank: 1, label: "first" }));

    const reader = newClient(app.url);
    const ref = fixture.items.byCreationTime;
    expect(await step(reader.consistentQuery(ref, { order: "asc" }))).toEqual(["first"]);
    const tsAtRead = await queryTs(app.url);

    await step(writer.mutation(fixture.items.insert, { group: "c", rank: 2, label: "second" }));
    expect(await queryTs(app.url)).toBeGreaterThan(tsAtRead);

    // The same client keeps reading at its timestamp, for this and for other queries...
    expect(await step(reader.consistentQuery(ref, { order: "asc" }))).toEqual(["first"]);
    expect(await step(reader.consistentQuery(fixture.checks.count, { table: "items" }))).toBe(1);
    // ...while plain queries, and a new client's consistent queries, see the latest data.
    expect(await step(reader.query(ref, { order: "asc" }))).toEqual(["first", "second"]);
    expect(await step(newClient(app.url).consistentQuery(ref, { order: "asc" }))).toEqual([
      "first",
      "second",
    ]);
  });

  it("refuses timestamps from the future or that do not decode", async () => {
    await using app = await serve();
    const ts = await queryTs(app.url);
    const future = Buffer.alloc(8);
    future.writeBigUInt64LE(ts + 1_000_000n);
    const body = { path: "checks:journal", args: [{}], format: "convex_encoded_json" };

    const inFuture = await raw(app.url, "/api/query_at_ts", {
      body: { ...body, ts: future.toString("base64") },
    });
    expect(inFuture.status).toBe(400);
    expect(inFuture.json?.["message"]).toMatch(/in the future/);

    const garbled = await raw(app.url, "/api/query_at_ts", { body: { ...body, ts: "abc" } });
    expect(garbled.status).toBe(400);
    expect(garbled.json?.["message"]).toMatch(/timestamp/i);

    const missing = await raw(app.url, "/api/query_at_ts", { body });
    expect(missing.status).toBe(400);
  });
});
