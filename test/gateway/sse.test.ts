/**
 * Live results over Server-Sent Events (`Accept: text/event-stream`, POST), read with `fetch`
 * and a small parser: the first `next` event is the current result, the next one follows a
 * mutation, and closing the stream releases the upstream subscription. A `query @live` streams
 * the same way; a plain query streams one result and `complete`.
 */
import { describe, expect, it } from "vitest";
import { data, useSharedServers } from "./support/gateway.ts";
import { SseStream } from "./support/sse.ts";
import { convexHttp, dishes, LIVE_TABLE, PLACE_ORDER, WATCH_TABLE } from "./support/example_app.ts";
import { api } from "../../convex/_generated/api.js";
import { eventually, staysFalse } from "../utils/waits.ts";

// Every test leaves nothing live behind (and the next one starts from zero).
const servers = useSharedServers({ expectReleasedAfterEach: true });

async function placeOrder(dish: string, table: number): Promise<void> {
  await data(servers.gateway.url, PLACE_ORDER, { dish, table });
}

async function released(what: string): Promise<void> {
  await eventually(
    () => servers.gateway.live.size === 0 && servers.gateway.upstream.subscriptionCount === 0,
    `${what}: live.size ${servers.gateway.live.size}, upstream subscriptions ${servers.gateway.upstream.subscriptionCount}`,
  );
}

describe("a subscription over SSE", () => {
  it("streams the current result, then one per change; closing it releases upstream", async () => {
    await placeOrder("bread", 40);
    const stream = await SseStream.open(servers.gateway.url, {
      query: WATCH_TABLE,
      variables: { table: 40 },
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);

      const first = await stream.nextResult("the current result");
      expect(first.errors).toBeUndefined();
      expect(dishes(first.data?.["ordersGetOrdersByTable"])).toEqual(["bread"]);
      expect(servers.gateway.live.size).toBe(1);
      expect(servers.gateway.upstream.subscriptionCount).toBe(1);

      await placeOrder("butter", 40);
      const second = await stream.nextResult("the result after a GraphQL mutation");
      expect(dishes(second.data?.["ordersGetOrdersByTable"])).toEqual(["bread", "butter"]);

      await convexHttp(servers.backend.url).mutation(api.orders.placeOrder, {
        dish: "jam",
        table: 40,
      });
      const third = await stream.nextResult("the result after a direct Convex mutation");
      expect(dishes(third.data?.["ordersGetOrdersByTable"])).toEqual(["bread", "butter", "jam"]);
      expect(stream.ended).toBe(false);
    } finally {
      await stream.close();
    }
    await released("after the client closed the stream");
  });

  it("shares one live operation between identical streams", async () => {
    const streams = await Promise.all(
      [1, 2, 3].map(() =>
        SseStream.open(servers.gateway.url, { query: WATCH_TABLE, variables: { table: 41 } }),
      ),
    );
    try {
      for (const stream of streams) await stream.nextResult("a stream's first result");
      expect(servers.gateway.live.size).toBe(1);
      expect(servers.gateway.upstream.subscriptionCount).toBe(1);
      await placeOrder("for all", 41);
      for (const stream of streams) {
        const next = await stream.nextResult("a stream's update");
        expect(dishes(next.data?.["ordersGetOrdersByTable"])).toEqual(["for all"]);
      }
      // Closing one keeps the others going.
      await streams[0]!.close();
      expect(await staysFalse(() => servers.gateway.live.size !== 1, 200)).toBe(true);
    } finally {
      for (const stream of streams) await stream.close();
    }
    await released("after every stream closed");
  });

  it("answers an invalid subscription with a single error, not a stream that hangs", async () => {
    const stream = await SseStream.open(servers.gateway.url, {
      query: "subscription { ordersGetEverything { _id } }",
    });
    try {
      const message = await stream.next("the error");
      expect(message.event).toBe("next");
      const result = JSON.parse(message.data) as { errors?: { message: string }[] };
      expect(result.errors?.[0]?.message).toMatch(/Cannot query field "ordersGetEverything"/);
      expect((await stream.next("the end of the stream")).event).toBe("complete");
    } finally {
      await stream.close();
    }
    expect(servers.gateway.live.size).toBe(0);
  });
});

describe("query @live over SSE", () => {
  it("behaves like a subscription", async () => {
    const stream = await SseStream.open(servers.gateway.url, {
      query: LIVE_TABLE,
      variables: { table: 42 },
    });
    try {
      expect((await stream.nextResult("the current result")).data).toEqual({
        ordersGetOrdersByTable: [],
      });
      expect(servers.gateway.live.size).toBe(1);
      await placeOrder("live bread", 42);
      const next = await stream.nextResult("the result after a mutation");
      expect(dishes(next.data?.["ordersGetOrdersByTable"])).toEqual(["live bread"]);
    } finally {
      await stream.close();
    }
    await released("after closing the @live stream");
  });

  it("streams a plain query (no @live) as one result, then complete", async () => {
    await placeOrder("plain", 43);
    const stream = await SseStream.open(servers.gateway.url, {
      query: "query { ordersGetOrdersByTable(table: 43) { dish } }",
    });
    try {
      expect((await stream.nextResult("the result")).data).toEqual({
        ordersGetOrdersByTable: [{ dish: "plain" }],
      });
      expect((await stream.next("the end of the stream")).event).toBe("complete");
    } finally {
      await stream.close();
    }
    expect(servers.gateway.live.size).toBe(0);
  });
});
