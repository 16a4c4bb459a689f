/**
 * `--merge`: a real legacy Yoga server (port 0) merged into the gateway in front of the example
 * app. One request reads both; the legacy API's mutations and queries are proxied with the
 * caller's `Authorization`; its subscription is proxied over SSE (or graphql-ws, when the API
 * speaks it) and released when the client leaves; names that clash are refused at start unless a prefix renames them; an API that is
 * down at start leaves the gateway serving Convex, its fields answer `MERGED_API_UNAVAILABLE`,
 * and it is merged once it comes up.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createSchema, createYoga } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import {
  data,
  post,
  record,
  startTestGateway,
  wsClient,
  type TestGateway,
} from "./support/gateway.ts";
import { PLACE_ORDER } from "./support/example_app.ts";
import {
  startLegacyServer,
  type LegacyServer,
} from "../../examples/apollo-migration/legacy/legacy_server.ts";
import {
  MERGED_API_UNAVAILABLE,
  MergeConflictError,
  mergeApis,
  type MergedSchema,
} from "../../gateway/merge/index.ts";
import { appSchemaOf } from "./support/gateway.ts";
import { eventually } from "../utils/waits.ts";

let backend: TestBackend;

beforeAll(async () => {
  backend = await startTestBackend();
});
afterAll(async () => {
  await backend?.close();
});

/** A gateway serving the example app with `merged` stitched in. */
async function mergedGateway(merged: MergedSchema): Promise<TestGateway> {
  return startTestGateway(backend.url, {
    schema: () => merged.current(),
    plugins: merged.plugins,
  });
}

async function convexSchema() {
  const app = await appSchemaOf();
  return () => app.current();
}

describe("a legacy API merged beside Convex", () => {
  let legacy: LegacyServer;
  let merged: MergedSchema;
  let gateway: TestGateway;

  beforeAll(async () => {
    legacy = await startLegacyServer();
    // A short call bound: a subscription outlives it.
    merged = await mergeApis(await convexSchema(), [{ url: legacy.url }], { timeoutMs: 1_000 });
    gateway = await mergedGateway(merged);
  });
  afterAll(async () => {
    await gateway?.close();
    merged?.close();
    await legacy?.close();
  });

  it("answers one request reading both", async () => {
    await data(gateway.url, PLACE_ORDER, { dish: "ramen", table: 70 });
    const both = await data(
      gateway.url,
      "{ menu { id name price } ordersGetOrdersByTable(table: 70) { dish } }",
    );
    expect(both["menu"]).toContainEqual({ id: "ramen", name: "Ramen", price: 12 });
    expect(both["ordersGetOrdersByTable"]).toEqual([{ dish: "ramen" }]);
  });

  it("proxies the caller's Authorization, and nothing when there is none", async () => {
    const signedIn = await data(gateway.url, "{ viewer }", undefined, {
      authorization: "Bearer legacy-session-42",
    });
    expect(signedIn).toEqual({ viewer: "Bearer legacy-session-42" });
    expect(await data(gateway.url, "{ viewer }")).toEqual({ viewer: null });
  });

  it("proxies mutations", async () => {
    const changed = await data(
      gateway.url,
      "mutation { setTableOccupied(number: 2, occupied: true) { number occupied } }",
    );
    expect(changed).toEqual({ setTableOccupied: { number: 2, occupied: true } });
    const tables = await data(gateway.url, "{ tables { number occupied } }");
    expect(tables["tables"]).toContainEqual({ number: 2, occupied: true });
  });

  it("proxies its subscriptions, and releases them when the client leaves", async () => {
    await using client = wsClient(gateway.url);
    {
      using watch = record(client, { query: "subscription { tableChanged { number occupied } }" });
      await eventually(() => legacy.openSubscriptions === 1, "the legacy subscription to open");
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await data(
        gateway.url,
        "mutation { setTableOccupied(number: 3, occupied: true) { number } }",
      );
      const next = await watch.next("the legacy table change");
      expect(next.data).toEqual({ tableChanged: { number: 3, occupied: true } });
      // It is the legacy API's, not a Convex live operation.
      expect(gateway.live.size).toBe(0);
    }
    await eventually(() => legacy.openSubscriptions === 0, "the legacy subscription released");
  });
});

/** A Yoga server with a schema of its own on port 0. */
async function startYoga(
  typeDefs: string,
  resolvers: Record<string, Record<string, () => unknown>>,
): Promise<LegacyServer> {
  const yoga = createYoga({ schema: createSchema({ typeDefs, resolvers }) });
  const server = http.createServer((req, res) => void yoga.requestListener(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    openSubscriptions: 0,
    close,
    [Symbol.asyncDispose]: close,
  };
}

describe("names that clash", () => {
  const clashing = `type Order { id: ID!, total: Float! } type Query { orders: [Order!]! }`;
  const resolvers = { Query: { orders: () => [{ id: "o1", total: 3 }] } };

  it("are refused at start, naming the type and the prefix option", async () => {
    await using other = await startYoga(clashing, resolvers);
    const refused = mergeApis(await convexSchema(), [{ url: other.url }]);
    await expect(refused).rejects.toBeInstanceOf(MergeConflictError);
    await expect(refused).rejects.toThrow(
      `--merge ${other.url}: type "Order" is also defined by the Convex app`,
    );
    await expect(refused).rejects.toThrow(`--merge legacy=${other.url}`);
  });

  it("are served side by side with a prefix", async () => {
    await using other = await startYoga(clashing, resolvers);
    const merged = await mergeApis(await convexSchema(), [{ url: other.url, prefix: "legacy" }]);
    await using gateway = await mergedGateway(merged);
    try {
      const answer = await data(
        gateway.url,
        "{ legacyOrders { __typename id total } ordersGetActiveOrders { __typename } }",
      );
      expect(answer["legacyOrders"]).toEqual([{ __typename: "LegacyOrder", id: "o1", total: 3 }]);
    } finally {
      merged.close();
    }
  });
});

describe("a merged API that is down at start", () => {
  it("keeps serving when it comes up with a name that clashes", async () => {
    const probe = await startLegacyServer();
    const url = probe.url;
    await probe.close();
    const logged: string[] = [];
    const merged = await mergeApis(
      await convexSchema(),
      [{ url }],
      { retryMs: 100, maxRetryMs: 200 },
      (line) => logged.push(line),
    );
    await using gateway = await mergedGateway(merged);
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: "type Order { id: ID! } type Query { orders: [Order!]! }",
        resolvers: { Query: { orders: () => [] } },
      }),
    });
    const server = http.createServer((req, res) => void yoga.requestListener(req, res));
    await new Promise<void>((resolve) =>
      server.listen(Number(new URL(url).port), "127.0.0.1", () => resolve()),
    );
    try {
      await eventually(() => merged.status()[url] === "available", "the API back up");
      expect(await data(gateway.url, '{ countersGet(name: "clash") }')).toEqual({ countersGet: 0 });
      expect(logged.join("\n")).toContain('type "Order" is also defined by the Convex app');
    } finally {
      merged.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("leaves Convex served, reports its fields unavailable, and merges it when it comes up", async () => {
    // A port that nothing listens on (yet).
    const probe = await startLegacyServer();
    const url = probe.url;
    const port = Number(new URL(url).port);
    await probe.close();

    const merged = await mergeApis(await convexSchema(), [{ url }], {
      retryMs: 100,
      maxRetryMs: 200,
    });
    await using gateway = await mergedGateway(merged);
    let legacy: LegacyServer | null = null;
    try {
      expect(merged.status()).toEqual({ [url]: "unavailable" });
      expect(await data(gateway.url, '{ countersGet(name: "merge") }')).toEqual({ countersGet: 0 });
      const down = (await post(gateway.url, { query: "{ menu { name } }" })).json();
      expect(down.errors?.[0]?.extensions?.code).toBe(MERGED_API_UNAVAILABLE);

      legacy = await startLegacyServer(port);
      await eventually(() => merged.status()[url] === "available", "the API merged once up");
      expect((await data(gateway.url, "{ menu { name } }"))["menu"]).toHaveLength(4);

      // Down again: its fields are known now, and answer the same code.
      await legacy.close();
      legacy = null;
      const again = (await post(gateway.url, { query: "{ menu { name } }" })).json();
      expect(again.errors?.[0]?.extensions?.code).toBe(MERGED_API_UNAVAILABLE);
      expect(again.errors?.[0]?.message).toContain(url);
      expect(await data(gateway.url, '{ countersGet(name: "merge") }')).toEqual({ countersGet: 0 });
    } finally {
      merged.close();
      await legacy?.close();
    }
  });
});

describe("a legacy API that speaks graphql-ws", () => {
  it("proxies its subscriptions over graphql-ws when it speaks it", async () => {
    const schema = createSchema({
      typeDefs: "type Query { hello: String } type Subscription { greetings: String }",
      resolvers: {
        Query: { hello: () => "hello" },
        Subscription: {
          greetings: {
            async *subscribe(_root: unknown, _args: unknown, context: { auth?: unknown }) {
              yield await Promise.resolve({ greetings: `hi ${String(context.auth)}` });
              yield { greetings: "bye" };
            },
          },
        },
      },
    });
    const yoga = createYoga({ schema });
    const server = http.createServer((req, res) => void yoga.requestListener(req, res));
    const wss = new WebSocketServer({ server, path: "/graphql" });
    let sockets = 0;
    wss.on("connection", () => sockets++);
    useServer(
      {
        schema,
        context: (ctx) => ({
          auth: (ctx.connectionParams as { authorization?: string })?.authorization,
        }),
      },
      wss,
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const merged = await mergeApis(await convexSchema(), [{ url }], { timeoutMs: 2_000 });
    await using gateway = await mergedGateway(merged);
    try {
      const before = sockets;
      // Anonymous: the gateway's graphql-ws checks a token with Convex at connect, and a legacy
      // API's token is not Convex's (its forwarding is the same code as over HTTP: ws_subscriptions.ts).
      await using client = wsClient(gateway.url);
      using watch = record(client, { query: "subscription { greetings }" });
      expect((await watch.next("the first greeting")).data).toEqual({ greetings: "hi undefined" });
      expect((await watch.next("the second greeting")).data).toEqual({ greetings: "bye" });
      await watch.ended("the legacy subscription to complete");
      expect(sockets).toBeGreaterThan(before);
    } finally {
      merged.close();
      for (const socket of wss.clients) socket.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
