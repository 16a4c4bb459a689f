/**
 * Durability: every mutation the backend acknowledged survives `kill -9`.
 *
 * The story: start the backend as a child process on a fresh data file, make acknowledged
 * writes of each kind (inserts, patches through a status change, read-modify-writes of a
 * counter), kill it with SIGKILL (no shutdown hook runs), start it again on the same file, and
 * find every acknowledged write. Then kill it while mutations are in flight and restart once
 * more: whatever was acknowledged before the kill is there. Commit timestamps (`/api/query_ts`)
 * keep increasing across each restart.
 */
import path from "node:path";
import type { GenericId } from "convex/values";
import { describe, expect, it } from "vitest";
import { startChildBackend, type ChildBackend } from "./support/child_backend.ts";
import { REPO_ROOT, newClient, queryTs } from "./support/fixture.ts";
import { tempDir } from "../utils/backend.ts";
import { step, within } from "../utils/waits.ts";
import { api } from "../../convex/_generated/api.js";

/** Writes of the in-flight phase: what was acknowledged, and the ts published after them. */
interface InFlight {
  acknowledged: { id: GenericId<"orders">; dish: string }[];
  ts: bigint;
}

/**
 * Keeps 8 mutations in flight on `url` until at least 40 were acknowledged, then SIGKILLs the
 * process while the next ones are still running. Returns what was acknowledged before the kill.
 */
async function killWithMutationsInFlight(backend: ChildBackend): Promise<InFlight> {
  const client = newClient(backend.url);
  const acknowledged: InFlight["acknowledged"] = [];
  let killed = false;
  let enough: () => void = () => {};
  const fortyAcknowledged = new Promise<void>((resolve) => (enough = resolve));
  const writers = Array.from({ length: 8 }, async (_, writer) => {
    for (let i = 0; !killed; i++) {
      const dish = `writer ${writer} #${i}`;
      try {
        const id = await client.mutation(
          api.orders.placeOrder,
          { dish, table: 2 },
          { skipQueue: true },
        );
        if (!killed) acknowledged.push({ id, dish });
        if (acknowledged.length >= 40) enough();
      } catch {
        return; // The connection died with the process.
      }
    }
  });
  await within(fortyAcknowledged, 20_000, "40 acknowledged writes");
  const ts = await queryTs(backend.url);
  killed = true;
  await backend.kill9();
  await within(Promise.all(writers), 10_000, "the writers to stop");
  return { acknowledged, ts };
}

describe("durability across kill -9", () => {
  // Three process starts; generous for a loaded machine (each await inside is bounded too).
  const TIMEOUT_MS = 90_000;

  it(
    "keeps every acknowledged write, and commit timestamps keep increasing",
    async () => {
      await using folder = tempDir("convex-graphql-durability-");
      const dataFile = path.join(folder.path, "data.sqlite3");

      // 1. Acknowledged writes of every kind, then SIGKILL (no shutdown hook runs).
      let lastTs: bigint;
      const placed: { id: GenericId<"orders">; dish: string }[] = [];
      {
        await using first = await startChildBackend({ dir: REPO_ROOT, dataFile });
        const client = newClient(first.url);
        // One at a time...
        for (let i = 0; i < 10; i++) {
          const dish = `sequential ${i}`;
          const id = await step(client.mutation(api.orders.placeOrder, { dish, table: 1 }));
          placed.push({ id, dish });
        }
        // ...and many at once.
        const dishes = Array.from({ length: 20 }, (_, i) => `concurrent ${i}`);
        const ids = await step(
          Promise.all(
            dishes.map((dish) =>
              client.mutation(api.orders.placeOrder, { dish, table: 1 }, { skipQueue: true }),
            ),
          ),
        );
        dishes.forEach((dish, i) => placed.push({ id: ids[i]!, dish }));
        // Updates of existing documents, and read-modify-writes.
        await step(
          client.mutation(api.orders.updateStatus, { id: placed[0]!.id, status: "served" }),
        );
        await step(
          client.mutation(api.orders.updateStatus, { id: placed[1]!.id, status: "ready" }),
        );
        for (let i = 0; i < 7; i++)
          await step(client.mutation(api.counters.increment, { name: "kill" }));

        lastTs = await queryTs(first.url);
        expect(lastTs).toBeGreaterThan(0n);
        await first.kill9();
        expect(first.process.signalCode).toBe("SIGKILL");
      }

      // 2. Restart on the same file: everything is there; new commits get later timestamps.
      let inFlight: InFlight;
      {
        await using second = await startChildBackend({ dir: REPO_ROOT, dataFile });
        const client = newClient(second.url);
        const recoveredTs = await queryTs(second.url);
        expect(recoveredTs).toBeGreaterThanOrEqual(lastTs);

        const orders = await step(client.query(api.orders.getOrdersByTable, { table: 1 }));
        expect(orders.map((order) => [order._id, order.dish])).toEqual(
          placed.map(({ id, dish }) => [id, dish]),
        );
        expect(orders[0]!.status).toBe("served");
        expect(orders[1]!.status).toBe("ready");
        expect(orders.slice(2).every((order) => order.status === "placed")).toBe(true);
        expect(await step(client.query(api.counters.get, { name: "kill" }))).toBe(7);

        expect(await step(client.mutation(api.counters.increment, { name: "kill" }))).toBe(8);
        const afterRestartTs = await queryTs(second.url);
        expect(afterRestartTs).toBeGreaterThan(lastTs);
        expect(afterRestartTs).toBeGreaterThan(recoveredTs);

        // 3. This time, kill it while mutations are in flight.
        inFlight = await killWithMutationsInFlight(second);
        expect(inFlight.acknowledged.length).toBeGreaterThanOrEqual(40);
        expect(inFlight.ts).toBeGreaterThan(afterRestartTs);
      }

      // 4. Restart again: every write acknowledged before either kill is there.
      {
        await using third = await startChildBackend({ dir: REPO_ROOT, dataFile });
        const client = newClient(third.url);
        expect(await queryTs(third.url)).toBeGreaterThanOrEqual(inFlight.ts);
        expect(await step(client.query(api.counters.get, { name: "kill" }))).toBe(8);
        expect(await step(client.query(api.orders.getOrdersByTable, { table: 1 }))).toHaveLength(
          30,
        );

        const stored = await step(client.query(api.orders.getOrdersByTable, { table: 2 }));
        const byId = new Map(stored.map((order) => [order._id as string, order.dish]));
        for (const { id, dish } of inFlight.acknowledged) expect(byId.get(id), dish).toBe(dish);
        // Writes in flight at the kill may or may not have committed; nothing else appeared.
        expect(stored.length).toBeGreaterThanOrEqual(inFlight.acknowledged.length);
        expect(stored.length).toBeLessThanOrEqual(inFlight.acknowledged.length + 8);

        await step(client.mutation(api.orders.placeOrder, { dish: "after", table: 2 }));
        expect(await queryTs(third.url)).toBeGreaterThan(inFlight.ts);
      }
    },
    TIMEOUT_MS,
  );
});
