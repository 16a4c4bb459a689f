/**
 * Apollo's multipart subscriptions on the gateway's `/graphql`: the wire format read raw
 * (`{payload}` parts, `{}` heartbeats, errors inside the payload), a client that goes away
 * mid-stream releasing everything upstream (the gateway's own counts and `/metrics`), Apollo
 * Client 4 with a plain `HttpLink` (no split link, no WebSocket) following a live subscription,
 * and urql with its default exchanges (queries over GET, subscriptions over SSE).
 */
import { ApolloClient, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { cacheExchange, Client as UrqlClient, fetchExchange } from "@urql/core";
import { describe, expect, it } from "vitest";
import { metricValue, scrapeUntil } from "../utils/metrics.ts";
import { data, useSharedServers } from "./support/gateway.ts";
import { MultipartStream } from "./support/multipart.ts";
import { dishes, PLACE_ORDER, WATCH_TABLE, type OrderFields } from "./support/example_app.ts";
import { STEP_MS, eventually, within } from "../utils/waits.ts";

const HEARTBEAT_MS = 100;
const servers = useSharedServers({
  gateway: { multipartHeartbeatMs: HEARTBEAT_MS },
  expectReleasedAfterEach: true,
});

async function placeOrder(dish: string, table: number): Promise<string> {
  const result = await data(servers.gateway.url, PLACE_ORDER, { dish, table });
  return result["ordersPlaceOrder"] as string;
}

function metricsUrl(): string {
  return servers.gateway.url.replace(/\/graphql$/, "/metrics");
}

/** The orders of a `{payload}` part. */
function payloadDishes(part: Record<string, unknown>): string[] {
  const payload = part["payload"] as { data: Record<string, unknown> };
  return dishes(payload.data["ordersGetOrdersByTable"]);
}

describe("multipart subscriptions, read raw", () => {
  it("streams {payload} parts and heartbeats; a client leaving releases upstream", async () => {
    await placeOrder("miso", 60);
    const stream = await MultipartStream.open(servers.gateway.url, {
      query: WATCH_TABLE,
      variables: { table: 60 },
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
      const first = await stream.next("the current result");
      expect(Object.keys(first)).toEqual(["payload"]);
      expect(payloadDishes(first)).toEqual(["miso"]);
      // Each part is closed by the next boundary as soon as it is written.
      expect(stream.raw.startsWith("\r\n--graphql\r\ncontent-type: application/json\r\n\r\n")).toBe(
        true,
      );
      expect(stream.raw.endsWith("\r\n--graphql")).toBe(true);

      await placeOrder("natto", 60);
      expect(payloadDishes(await stream.next("the result after a mutation"))).toEqual([
        "miso",
        "natto",
      ]);
      await eventually(() => stream.heartbeats >= 2, "two heartbeats", 10 * HEARTBEAT_MS + STEP_MS);
      const live = await scrapeUntil(
        metricsUrl(),
        (text) => metricValue(text, "gateway_live_subscribers") === 1,
        "one live subscriber in /metrics",
      );
      expect(metricValue(live, "gateway_live_operations")).toBe(1);
      expect(servers.gateway.upstream.subscriptionCount).toBe(1);
    } finally {
      // The client disconnects mid-stream.
      await stream.close();
    }
    await eventually(
      () => servers.gateway.live.size === 0 && servers.gateway.upstream.subscriptionCount === 0,
      "the live operation and its upstream subscription released",
    );
    const after = await scrapeUntil(
      metricsUrl(),
      (text) => metricValue(text, "gateway_live_operations") === 0,
      "no live operation in /metrics",
    );
    expect(metricValue(after, "gateway_live_subscribers")).toBe(0);
  });

  it("keeps execution errors inside the payload, with their code", async () => {
    const stream = await MultipartStream.open(servers.gateway.url, {
      query: "subscription { ordersGetOrderById(id: 12) { _id } }",
    });
    try {
      const first = await stream.next("the first result");
      const payload = first["payload"] as { errors?: { extensions?: { code?: string } }[] };
      expect(payload.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    } finally {
      await stream.close();
    }
  });

  it("answers a refused document as plain JSON, like any request", async () => {
    const stream = await MultipartStream.open(servers.gateway.url, {
      query: "subscription { noSuchField }",
    });
    await stream.finished("the whole answer");
    expect(stream.status).toBe(400);
    expect(stream.contentType).toMatch(/json/);
    expect(JSON.parse(stream.raw)).toMatchObject({
      errors: [{ message: expect.stringContaining("noSuchField") as unknown }],
    });
  });
});

const WATCH = gql`
  subscription Watch($table: Float!) {
    ordersGetOrdersByTable(table: $table) {
      _id
      dish
      status
    }
  }
`;

describe("Apollo Client 4 with HttpLink only", () => {
  it("follows a subscription a mutation updates, and releases it on unsubscribe", async () => {
    await placeOrder("katsu", 61);
    const apollo = new ApolloClient({
      link: new HttpLink({ uri: servers.gateway.url }),
      cache: new InMemoryCache(),
    });
    const results: string[][] = [];
    let failure: unknown;
    const subscription = apollo.subscribe({ query: WATCH, variables: { table: 61 } }).subscribe({
      next: (value) => {
        const orders = (value.data as { ordersGetOrdersByTable?: OrderFields[] } | undefined)
          ?.ordersGetOrdersByTable;
        if (orders !== undefined) results.push(dishes(orders));
      },
      error: (error: unknown) => (failure = error),
    });
    try {
      await eventually(() => results.length >= 1 || failure !== undefined, "the first result");
      expect(failure).toBeUndefined();
      expect(results[0]).toEqual(["katsu"]);
      await placeOrder("karaage", 61);
      await eventually(() => results.length >= 2, "the result after a mutation");
      expect(results[1]).toEqual(["katsu", "karaage"]);
    } finally {
      subscription.unsubscribe();
      apollo.stop();
    }
    await eventually(
      () => servers.gateway.upstream.subscriptionCount === 0,
      "upstream released after unsubscribe",
    );
  });
});

describe("urql with its default exchanges", () => {
  it("queries over GET and follows a subscription over SSE", async () => {
    await placeOrder("tofu", 62);
    const urql = new UrqlClient({
      url: servers.gateway.url,
      exchanges: [cacheExchange, fetchExchange],
      fetchSubscriptions: true,
      requestPolicy: "network-only",
    });
    const query = await within(
      urql.query(`query { ordersGetOrdersByTable(table: 62) { _id dish } }`, {}).toPromise(),
      STEP_MS,
      "the urql query",
    );
    expect(query.error).toBeUndefined();
    const answered = query.data as { ordersGetOrdersByTable: OrderFields[] };
    expect(dishes(answered.ordersGetOrdersByTable)).toEqual(["tofu"]);

    const results: string[][] = [];
    const subscription = urql.subscription(WATCH, { table: 62 }).subscribe((result) => {
      const orders = (result.data as { ordersGetOrdersByTable?: OrderFields[] } | undefined)
        ?.ordersGetOrdersByTable;
      if (orders !== undefined) results.push(dishes(orders));
    });
    try {
      await eventually(() => results.length >= 1, "urql's first subscription result");
      expect(results[0]).toEqual(["tofu"]);
      await placeOrder("tamago", 62);
      await eventually(() => results.length >= 2, "urql's result after a mutation");
      expect(results[1]).toEqual(["tofu", "tamago"]);
    } finally {
      subscription.unsubscribe();
    }
  });
});
