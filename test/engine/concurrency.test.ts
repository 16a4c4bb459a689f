/**
 * Mutations that really run at the same time (`skipQueue: true`, so the client does not
 * serialise them) still behave as if they ran one after the other: optimistic concurrency
 * control detects every conflicting read-modify-write and the backend retries the loser.
 */
import { describe, expect, it } from "vitest";
import { REPO_ROOT, newClient, serve } from "./support/fixture.ts";
import { step } from "../utils/waits.ts";
import { api } from "../../convex/_generated/api.js";

const { counters, orders } = api;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe("concurrent mutations", () => {
  it("50 concurrent increments of one counter add exactly 50, each seeing a distinct value", async () => {
    await using app = await serve({ dir: REPO_ROOT });
    const { client } = app;
    // The counter exists before the race (the race is on one row, not on its creation).
    expect(await step(client.mutation(counters.increment, { name: "hot" }))).toBe(1);

    const results = await step(
      Promise.all(
        range(1, 50).map(() =>
          client.mutation(counters.increment, { name: "hot" }, { skipQueue: true }),
        ),
      ),
      "50 concurrent increments",
    );
    // Serialisable: every increment read the value the previous one wrote.
    expect([...results].sort((a, b) => a - b)).toEqual(range(2, 51));
    expect(await step(client.query(counters.get, { name: "hot" }))).toBe(51);
    expect(app.backend.engine.executor.stats.mutations).toBe(51);
  });

  it("keeps independent counters independent while they race with each other", async () => {
    await using app = await serve({ dir: REPO_ROOT });
    // Several clients, as several browsers would be.
    const clients = range(1, 5).map(() => newClient(app.url));
    const names = ["a", "b", "c"];
    const calls = range(0, 59).map((i) =>
      clients[i % clients.length]!.mutation(
        counters.increment,
        { name: names[i % names.length]! },
        { skipQueue: true },
      ),
    );
    const results = await step(Promise.all(calls), "60 concurrent increments");
    for (const [index, name] of names.entries()) {
      const own = results.filter((_, i) => i % names.length === index);
      // Each counter got 20 increments, the first creating it.
      expect(
        [...own].sort((a, b) => a - b),
        name,
      ).toEqual(range(1, 20));
      expect(await step(app.client.query(counters.get, { name })), name).toBe(20);
    }
  });

  it("commits every one of 50 concurrent inserts exactly once", async () => {
    await using app = await serve({ dir: REPO_ROOT });
    const { client } = app;
    const ids = await step(
      Promise.all(
        range(1, 50).map((i) =>
          client.mutation(orders.placeOrder, { dish: `dish ${i}`, table: 3 }, { skipQueue: true }),
        ),
      ),
      "50 concurrent inserts",
    );
    expect(new Set(ids).size).toBe(50);
    const stored = await step(client.query(orders.getOrdersByTable, { table: 3 }));
    expect(stored.map((order) => order._id).sort()).toEqual([...ids].sort());
    expect(stored.map((order) => order.dish).sort()).toEqual(
      range(1, 50)
        .map((i) => `dish ${i}`)
        .sort(),
    );
  });
});
