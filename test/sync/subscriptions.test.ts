/**
 * Live queries through the official `ConvexClient` against a real backend on port 0 serving the
 * example app. The stories: a subscription's first result and its update after a commit; the
 * precision of invalidation (a commit outside a query's read set reruns nothing and sends
 * nothing, one inside reruns it once); read-your-writes (`await client.mutation(...)` resolves
 * only after the client's subscriptions reflect the write); and one shared execution serving
 * twenty clients subscribed to the same query.
 */
import { describe, expect, it } from "vitest";
import {
  httpClient,
  orders,
  record,
  serve,
  syncClient,
  type SyncClient,
} from "./support/clients.ts";
import { step } from "../utils/waits.ts";

describe("subscriptions over ConvexClient", () => {
  it("delivers a first result, then a new one after a mutation by another client", async () => {
    await using backend = await serve();
    await using client = syncClient(backend.url);
    using tableOne = record(client, orders.getOrdersByTable, { table: 1 });

    // The first result: table 1 has no orders yet.
    await tableOne.atLeast(1, "the first result");
    expect(tableOne.values).toEqual([[]]);

    // Another client (over HTTP) places an order for table 1: the subscription gets it.
    const id = await step(
      httpClient(backend.url).mutation(orders.placeOrder, { dish: "soup", table: 1 }),
      "placeOrder over HTTP",
    );
    const updated = await tableOne.value((list) => list.length === 1, "the updated result");
    expect(updated).toEqual([
      expect.objectContaining({ _id: id, dish: "soup", table: 1, status: "placed" }),
    ]);
    expect(tableOne.values).toHaveLength(2);
    expect(tableOne.errors).toEqual([]);
  });

  it("reruns a query only for commits inside its read set", async () => {
    await using backend = await serve();
    await using client = syncClient(backend.url);
    const stats = backend.engine.liveQueries.stats;
    using tableTwo = record(client, orders.getOrdersByTable, { table: 2 });
    await tableTwo.atLeast(1, "the first result for table 2");
    expect(tableTwo.values).toEqual([[]]);
    const executionsBefore = stats.executions;

    // An order for table 3 is outside the read set (the by_table range [2]). The mutation's
    // promise resolves only after a Transition at or past its commit reached this same client,
    // so anything the commit triggered for table 2 would already be here.
    await step(client.mutation(orders.placeOrder, { dish: "tea", table: 3 }), "table 3 order");
    expect(tableTwo.values).toHaveLength(1);
    expect(stats.executions).toBe(executionsBefore);

    // An order for table 2 is inside it: exactly one rerun and one delivery.
    const id = await step(
      client.mutation(orders.placeOrder, { dish: "bread", table: 2 }),
      "table 2 order",
    );
    expect(tableTwo.values).toHaveLength(2);
    expect(tableTwo.latest.map((order) => order._id)).toEqual([id]);
    expect(stats.executions).toBe(executionsBefore + 1);
    expect(tableTwo.errors).toEqual([]);
  });

  it("has the subscription reflect a mutation by the time the mutation's promise resolves", async () => {
    await using backend = await serve();
    await using client = syncClient(backend.url);
    using tableFive = record(client, orders.getOrdersByTable, { table: 5 });
    await tableFive.atLeast(1, "the first result");

    for (const dish of ["soup", "bread", "tea"]) {
      const id = await step(client.mutation(orders.placeOrder, { dish, table: 5 }), dish);
      // No waiting: the callback has already run with the new order.
      expect(tableFive.latest.map((order) => order._id)).toContain(id);
    }
    expect(tableFive.latest.map((order) => order.dish)).toEqual(["soup", "bread", "tea"]);
  });

  it("serves twenty clients on the same query with one execution per change", async () => {
    await using backend = await serve();
    const stats = backend.engine.liveQueries.stats;
    const clients: SyncClient[] = Array.from({ length: 20 }, () => syncClient(backend.url));
    try {
      const subscriptions = clients.map((client) =>
        record(client, orders.getOrdersByTable, { table: 9 }),
      );
      await Promise.all(
        subscriptions.map((subscription, i) =>
          subscription.atLeast(1, `client ${i}'s first result`),
        ),
      );
      // No commit happened yet: every session asked for the same result at the same timestamp.
      expect(stats.executions).toBe(1);

      const id = await step(
        httpClient(backend.url).mutation(orders.placeOrder, { dish: "cake", table: 9 }),
        "placeOrder over HTTP",
      );
      await Promise.all(
        subscriptions.map((subscription, i) =>
          subscription.value(
            (list) => list.some((order) => order._id === id),
            `client ${i}'s update`,
          ),
        ),
      );
      expect(stats.executions).toBe(2);
      for (const subscription of subscriptions) {
        expect(subscription.values).toHaveLength(2);
        subscription[Symbol.dispose]();
      }
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});
