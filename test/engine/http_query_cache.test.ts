/**
 * `/api/query` reads through the shared query cache, as Convex does. The stories, through the
 * official `ConvexHttpClient` against the example app: an identical query at an unchanged
 * timestamp is answered without executing again; a commit inside its read set makes the next
 * one execute and see the write, a commit elsewhere does not; other arguments are another entry;
 * a query a subscription already computed is answered from the subscription's result; with the
 * cache turned off every request executes; and one-off results are bounded (least recently used
 * go first).
 */
import { ConvexClient } from "convex/browser";
import { describe, expect, it } from "vitest";
import { RetainedResults } from "../../engine/subscriptions/retained_results.ts";
import { startTestBackend } from "../utils/backend.ts";
import { counters, httpClient, record } from "../sync/support/clients.ts";
import { within } from "../utils/waits.ts";

const STEP_MS = 10_000;

describe("/api/query and the shared query cache", () => {
  it("answers a repeat from the cache until a commit writes into what it read", async () => {
    await using backend = await startTestBackend();
    const client = httpClient(backend.url);
    const stats = backend.engine.liveQueries.stats;
    const step = <T>(promise: Promise<T>, what: string): Promise<T> =>
      within(promise, STEP_MS, what);

    await step(client.mutation(counters.increment, { name: "a" }), "increment a");
    const before = stats.executions;
    expect(await step(client.query(counters.get, { name: "a" }), "first read")).toBe(1);
    expect(await step(client.query(counters.get, { name: "a" }), "repeat")).toBe(1);
    expect(await step(client.query(counters.get, { name: "a" }), "repeat")).toBe(1);
    expect(stats.executions - before).toBe(1);

    // Other arguments: their own execution.
    expect(await step(client.query(counters.get, { name: "b" }), "read b")).toBe(0);
    expect(stats.executions - before).toBe(2);

    // A commit to counter b is outside a's read set: a is still served from the cache.
    await step(client.mutation(counters.increment, { name: "b" }), "increment b");
    expect(await step(client.query(counters.get, { name: "a" }), "a after b")).toBe(1);
    expect(stats.executions - before).toBe(2);

    // A commit to a invalidates it: the next read executes and sees the write.
    await step(client.mutation(counters.increment, { name: "a" }), "increment a again");
    expect(await step(client.query(counters.get, { name: "a" }), "a after a")).toBe(2);
    expect(stats.executions - before).toBe(3);
  });

  it("serves a query a subscription computed, and executes every time when turned off", async () => {
    await using backend = await startTestBackend();
    const stats = backend.engine.liveQueries.stats;
    const subscriber = new ConvexClient(backend.url, { logger: false });
    try {
      using deliveries = record(subscriber, counters.get, { name: "shared" });
      await deliveries.until(() => deliveries.count > 0, "the subscription's first result");
      const before = stats.executions;
      const value = await within(
        httpClient(backend.url).query(counters.get, { name: "shared" }),
        STEP_MS,
        "the HTTP read",
      );
      expect(value).toBe(0);
      expect(stats.executions - before).toBe(0);
    } finally {
      await subscriber.close();
    }

    await using uncached = await startTestBackend({ httpQueryCache: false });
    const client = httpClient(uncached.url);
    const executorRuns = (): number => uncached.engine.executor.stats.queries;
    const runsBefore = executorRuns();
    for (let i = 0; i < 3; i++) {
      expect(await within(client.query(counters.get, { name: "x" }), STEP_MS, "read")).toBe(0);
    }
    expect(executorRuns() - runsBefore).toBe(3);
    expect(uncached.engine.queryCache).toBeNull();
  });

  it("keeps at most its limit of one-off results, dropping the least recently used", async () => {
    await using backend = await startTestBackend();
    const liveQueries = backend.engine.liveQueries;
    const cache = new RetainedResults(liveQueries, 2);
    const ts = backend.engine.committer.publishedTs;
    const read = (name: string) =>
      cache.resultAt({ path: "counters:get", args: { name }, identity: null }, ts);

    const first = await read("one");
    await read("two");
    expect(await read("one")).toBe(first); // a hit, and now the most recently used
    await read("three"); // over the limit: "two" goes
    expect(cache.size).toBe(2);
    expect(liveQueries.size).toBe(2);
    const executions = liveQueries.stats.executions;
    await read("one");
    expect(liveQueries.stats.executions).toBe(executions);
    await read("two");
    expect(liveQueries.stats.executions).toBe(executions + 1);
  });
});
