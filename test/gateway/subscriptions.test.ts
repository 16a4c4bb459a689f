/**
 * Live subscriptions over graphql-ws, with the real `graphql-ws` client on `ws`:
 * - a subscription's first event is the current result; a mutation through GraphQL and one made
 *   with the official `ConvexHttpClient` straight against the backend each produce the next event;
 * - completing a subscription, or closing the client, releases everything upstream;
 * - identical subscriptions share one live operation and one upstream Convex subscription;
 *   different variables do not;
 * - a `query @live` behaves like a subscription, and may read several Convex queries.
 */
import { describe, expect, it } from "vitest";
import { data, record, wsClient, useSharedServers } from "./support/gateway.ts";
import {
  convexHttp,
  dishes,
  LIVE_TABLE,
  PLACE_ORDER,
  UPDATE_STATUS,
  WATCH_TABLE,
  type OrderFields,
} from "./support/example_app.ts";
import { api } from "../../convex/_generated/api.js";
import type { Id } from "../../convex/_generated/dataModel.js";
import { describeFailure as describeError } from "../utils/recorder.ts";
import { eventually, staysFalse } from "../utils/waits.ts";

// Every test leaves nothing live behind (and the next one starts from zero).
const servers = useSharedServers({ expectReleasedAfterEach: true });

/** Waits until nothing is live any more: no live operation, no upstream subscription. */
async function released(what: string): Promise<void> {
  await eventually(
    () => servers.gateway.live.size === 0 && servers.gateway.upstream.subscriptionCount === 0,
    `${what}: live.size ${servers.gateway.live.size}, upstream subscriptions ${servers.gateway.upstream.subscriptionCount}`,
  );
}

async function placeOrder(dish: string, table: number): Promise<string> {
  return (await data(servers.gateway.url, PLACE_ORDER, { dish, table }))[
    "ordersPlaceOrder"
  ] as string;
}

describe("a subscription over graphql-ws", () => {
  it("starts with the current result, then follows GraphQL and direct Convex mutations", async () => {
    const soup = await placeOrder("soup", 10);
    await using client = wsClient(servers.gateway.url);
    using watch = record(client, { query: WATCH_TABLE, variables: { table: 10 } });

    // 1. The current result, including the order placed before subscribing.
    const first = await watch.next("the current result");
    expect(first.errors).toBeUndefined();
    expect(first.data?.["ordersGetOrdersByTable"]).toEqual([
      { _id: soup, dish: "soup", table: 10, status: "placed", notes: null },
    ]);
    expect(servers.gateway.live.size).toBe(1);
    expect(servers.gateway.upstream.subscriptionCount).toBe(1);

    // 2. A mutation through the gateway.
    await placeOrder("salad", 10);
    const second = await watch.next("the result after a GraphQL mutation");
    expect(dishes(second.data?.["ordersGetOrdersByTable"])).toEqual(["soup", "salad"]);

    // 3. A mutation made with the official client, straight against the backend.
    await convexHttp(servers.backend.url).mutation(api.orders.updateStatus, {
      id: soup as Id<"orders">, // an id the gateway returned
      status: "preparing",
    });
    const third = await watch.next("the result after a direct Convex mutation");
    const orders = third.data?.["ordersGetOrdersByTable"] as OrderFields[];
    expect(orders.map((order) => [order.dish, order.status])).toEqual([
      ["soup", "preparing"],
      ["salad", "placed"],
    ]);

    // 4. A write elsewhere (another table) sends nothing: the result did not change.
    await placeOrder("elsewhere", 11);
    expect(await staysFalse(() => watch.pending > 0, 300)).toBe(true);
    expect(watch.error).toBeUndefined();
  });

  it("releases the upstream subscription when the client completes it", async () => {
    await using client = wsClient(servers.gateway.url);
    const watch = record(client, { query: WATCH_TABLE, variables: { table: 12 } });
    expect((await watch.next("the current result")).data).toEqual({ ordersGetOrdersByTable: [] });
    expect(servers.gateway.live.size).toBe(1);
    expect(servers.gateway.upstream.subscriptionCount).toBe(1);

    watch[Symbol.dispose](); // sends Complete
    await released("after Complete");
    // The socket stays open and usable.
    using again = record(client, { query: WATCH_TABLE, variables: { table: 12 } });
    expect((await again.next("a new subscription's first result")).data).toEqual({
      ordersGetOrdersByTable: [],
    });
    expect(servers.gateway.upstream.subscriptionCount).toBe(1);
  });

  it("releases the upstream subscription when the client disconnects", async () => {
    const client = wsClient(servers.gateway.url);
    const watch = record(client, { query: WATCH_TABLE, variables: { table: 13 } });
    await watch.next("the current result");
    expect(servers.gateway.upstream.subscriptionCount).toBe(1);

    await client.dispose(); // closes the socket without completing
    await released("after the socket closed");
  });

  it("ends with an error event when the operation is invalid, and holds nothing", async () => {
    await using client = wsClient(servers.gateway.url);
    using watch = record(client, { query: "subscription { ordersGetEverything { _id } }" });
    const error = await watch.failure("a validation error");
    expect(error).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/Cannot query field "ordersGetEverything"/) as unknown,
      }),
    ]);
    expect(servers.gateway.live.size).toBe(0);
    expect(servers.gateway.upstream.subscriptionCount).toBe(0);
  });

  // Regression test (this was a bug, found and fixed while writing these tests).
  it("answers a syntax error with an error event, keeping the socket open", async () => {
    await using client = wsClient(servers.gateway.url);
    using other = record(client, { query: WATCH_TABLE, variables: { table: 16 } });
    await other.next("another subscription's first result");
    using broken = record(client, { query: 'subscription { countersGet(name: "x" }' });
    const error = await broken.failure("the syntax error");
    expect(describeError(error)).toMatch(/Syntax Error/);
    expect(describeError(error)).not.toMatch(/^close/);
    expect(client.closes).toEqual([]);
    expect(other.error).toBeUndefined();
  });

  it("delivers a ConvexError of the live query as a result with errors, and keeps watching", async () => {
    // `orders:getOrderById` validates its id: a malformed one makes the Convex query fail.
    await using client = wsClient(servers.gateway.url);
    using watch = record(client, {
      query: 'subscription { ordersGetOrderById(id: "nope") { _id } }',
    });
    const first = await watch.next("the failed result");
    expect(first.data).toEqual({ ordersGetOrderById: null });
    expect(first.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(watch.error).toBeUndefined();
    expect(watch.completed).toBe(false);
  });

  it("runs a plain query sent over graphql-ws once, then completes", async () => {
    await placeOrder("once", 14);
    await using client = wsClient(servers.gateway.url);
    using run = record(client, {
      query: "query { ordersGetOrdersByTable(table: 14) { dish } }",
    });
    const result = await run.next("the query's result");
    expect(result.data).toEqual({ ordersGetOrdersByTable: [{ dish: "once" }] });
    await run.ended("the query to complete");
    expect(run.completed).toBe(true);
    expect(servers.gateway.live.size).toBe(0);
  });

  // Regression test (this was a bug, found and fixed while writing these tests).
  it("runs a mutation sent over graphql-ws, next to a live subscription", async () => {
    await using client = wsClient(servers.gateway.url);
    using watch = record(client, { query: WATCH_TABLE, variables: { table: 15 } });
    await watch.next("the current result");
    using run = record(client, {
      query: PLACE_ORDER,
      variables: { dish: "by socket", table: 15 },
    });
    const result = await run.next("the mutation's result");
    expect(typeof result.data?.["ordersPlaceOrder"]).toBe("string");
    const update = await watch.next("the subscription's update");
    expect(dishes(update.data?.["ordersGetOrdersByTable"])).toEqual(["by socket"]);
    expect(client.closes).toEqual([]);
  });
});

describe("sharing", () => {
  it("runs 5 identical subscriptions as one live operation on one upstream subscription", async () => {
    const clients = Array.from({ length: 5 }, () => wsClient(servers.gateway.url));
    const watches = clients.map((client) =>
      record(client, { query: WATCH_TABLE, variables: { table: 20 } }),
    );
    try {
      for (const [index, watch] of watches.entries()) {
        expect((await watch.next(`subscriber ${index}'s first result`)).data).toEqual({
          ordersGetOrdersByTable: [],
        });
      }
      expect(servers.gateway.live.size).toBe(1);
      expect(servers.gateway.upstream.subscriptionCount).toBe(1);
      const executions = servers.gateway.live.executions();

      await placeOrder("shared", 20);
      for (const [index, watch] of watches.entries()) {
        const next = await watch.next(`subscriber ${index}'s update`);
        expect(dishes(next.data?.["ordersGetOrdersByTable"])).toEqual(["shared"]);
      }
      // One change, one execution, fanned out to all five.
      expect(servers.gateway.live.executions() - executions).toBe(1);

      // Four leave: the operation lives on for the fifth.
      for (const watch of watches.slice(0, 4)) watch[Symbol.dispose]();
      expect(await staysFalse(() => servers.gateway.live.size !== 1, 200)).toBe(true);
      expect(servers.gateway.upstream.subscriptionCount).toBe(1);
      await placeOrder("for the last one", 20);
      const last = await watches[4]!.next("the last subscriber's update");
      expect(dishes(last.data?.["ordersGetOrdersByTable"])).toEqual(["shared", "for the last one"]);
    } finally {
      for (const watch of watches) watch[Symbol.dispose]();
      await Promise.all(clients.map((client) => client[Symbol.asyncDispose]()));
    }
    await released("after every subscriber left");
  });

  it("keeps subscriptions with different variables apart", async () => {
    await using client = wsClient(servers.gateway.url);
    using a = record(client, { query: WATCH_TABLE, variables: { table: 21 } });
    using b = record(client, { query: WATCH_TABLE, variables: { table: 22 } });
    await a.next("table 21's first result");
    await b.next("table 22's first result");
    expect(servers.gateway.live.size).toBe(2);
    expect(servers.gateway.upstream.subscriptionCount).toBe(2);

    await placeOrder("only 22", 22);
    const update = await b.next("table 22's update");
    expect(dishes(update.data?.["ordersGetOrdersByTable"])).toEqual(["only 22"]);
    expect(await staysFalse(() => a.pending > 0, 300)).toBe(true);
  });

  it("shares the upstream subscription between different operations reading the same query", async () => {
    await using client = wsClient(servers.gateway.url);
    using full = record(client, { query: WATCH_TABLE, variables: { table: 23 } });
    using slim = record(client, {
      query: "subscription Slim { ordersGetOrdersByTable(table: 23) { dish } }",
    });
    await full.next("the full operation's first result");
    await slim.next("the slim operation's first result");
    expect(servers.gateway.live.size).toBe(2);
    expect(servers.gateway.upstream.subscriptionCount).toBe(1);
  });
});

describe("query @live over graphql-ws", () => {
  it("behaves like a subscription", async () => {
    await using client = wsClient(servers.gateway.url);
    using live = record(client, { query: LIVE_TABLE, variables: { table: 30 } });
    expect((await live.next("the current result")).data).toEqual({ ordersGetOrdersByTable: [] });
    expect(servers.gateway.live.size).toBe(1);

    const id = await placeOrder("live", 30);
    const next = await live.next("the result after a mutation");
    expect(dishes(next.data?.["ordersGetOrdersByTable"])).toEqual(["live"]);
    await data(servers.gateway.url, UPDATE_STATUS, { id, status: "ready" });
    const third = await live.next("the result after a status change");
    expect((third.data?.["ordersGetOrdersByTable"] as OrderFields[])[0]?.status).toBe("ready");
    expect(live.completed).toBe(false);
  });

  it("reads several Convex queries and follows each of them", async () => {
    await using client = wsClient(servers.gateway.url);
    using live = record(client, {
      query: `query Dashboard @live {
        orders: ordersGetOrdersByTable(table: 31) { dish }
        count: countersGet(name: "live-dashboard")
      }`,
    });
    expect((await live.next("the current result")).data).toEqual({ orders: [], count: 0 });
    expect(servers.gateway.upstream.subscriptionCount).toBe(2);

    await convexHttp(servers.backend.url).mutation(api.counters.increment, {
      name: "live-dashboard",
    });
    expect((await live.next("the result after the counter moved")).data).toEqual({
      orders: [],
      count: 1,
    });
    await placeOrder("dash", 31);
    expect((await live.next("the result after an order")).data).toEqual({
      orders: [{ dish: "dash" }],
      count: 1,
    });
  });

  it("releases upstream when completed", async () => {
    await using client = wsClient(servers.gateway.url);
    const live = record(client, { query: LIVE_TABLE, variables: { table: 32 } });
    await live.next("the current result");
    expect(servers.gateway.upstream.subscriptionCount).toBe(1);
    live[Symbol.dispose]();
    await released("after completing the @live query");
  });
});
