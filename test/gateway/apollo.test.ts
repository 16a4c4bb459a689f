/**
 * Apollo Client 4 in Node against the gateway, the way an app wires it: a split link sending
 * subscriptions over `GraphQLWsLink` (graphql-ws on `ws`) and everything else over `HttpLink`.
 * Queries, mutations and a subscription that a mutation updates; and the cache normalising
 * `Order` documents by `_id` (Apollo's default `dataIdFromObject` reads `_id`, so no
 * `typePolicies` are needed) so that a subscription's update reaches every query holding that order.
 */
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { isSubscriptionOperation } from "@apollo/client/utilities";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { startTestGateway, wsClient, type TestGateway, type WsClient } from "./support/gateway.ts";
import type { OrderFields } from "./support/example_app.ts";
import { eventually, STEP_MS, within } from "../utils/waits.ts";
import { Recorder } from "../utils/recorder.ts";

let backend: TestBackend;
let gateway: TestGateway;
let socket: WsClient;
let apollo: ApolloClient;
let cache: InMemoryCache;

const PLACE = gql`
  mutation Place($dish: String!, $table: Float!) {
    ordersPlaceOrder(dish: $dish, table: $table)
  }
`;
const UPDATE = gql`
  mutation Update($id: ID!, $status: OrderStatus!) {
    ordersUpdateStatus(id: $id, status: $status)
  }
`;
const BY_TABLE = gql`
  query ByTable($table: Float!) {
    ordersGetOrdersByTable(table: $table) {
      _id
      dish
      status
    }
  }
`;
const BY_ID = gql`
  query ById($id: ID!) {
    ordersGetOrderById(id: $id) {
      _id
      dish
      status
    }
  }
`;
const WATCH = gql`
  subscription Watch($table: Float!) {
    ordersGetOrdersByTable(table: $table) {
      _id
      dish
      status
    }
  }
`;

type Orders = {
  ordersGetOrdersByTable: (Pick<OrderFields, "_id" | "dish" | "status"> & { __typename: string })[];
};

beforeAll(async () => {
  backend = await startTestBackend();
  gateway = await startTestGateway(backend.url);
  socket = wsClient(gateway.url, { lazy: true });
  cache = new InMemoryCache();
  apollo = new ApolloClient({
    link: ApolloLink.split(
      ({ query }) => isSubscriptionOperation(query),
      new GraphQLWsLink(socket),
      new HttpLink({ uri: gateway.url }),
    ),
    cache,
  });
});

afterAll(async () => {
  apollo?.stop();
  await socket?.dispose();
  await gateway?.close();
  await backend?.close();
});

// Every test leaves nothing live behind (and the next one starts from zero).
afterEach(async () => {
  await eventually(
    () => gateway.live.size === 0 && gateway.upstream.subscriptionCount === 0,
    "everything to be released after the test",
  );
});

async function place(dish: string, table: number): Promise<string> {
  const result = await within(
    apollo.mutate<{ ordersPlaceOrder: string }>({ mutation: PLACE, variables: { dish, table } }),
    STEP_MS,
    `placing ${dish}`,
  );
  const id = result.data?.ordersPlaceOrder;
  if (id === undefined) throw new Error(`placing ${dish} returned no id`);
  return id;
}

/** What `client.subscribe` and `client.watchQuery` both are: something that pushes results. */
interface Results {
  subscribe(observer: {
    next: (value: { data?: unknown }) => void;
    error: (error: unknown) => void;
  }): { unsubscribe(): void };
}

/** Records an observable's results (the shared recorder: `next` waits, bounded, for one more). */
function collect<T>(observable: Results): Recorder<T> {
  return new Recorder<T>((sink) => {
    const subscription = observable.subscribe({
      next: (value) => {
        if (value.data !== undefined) sink.value(value.data as T);
      },
      error: sink.error,
    });
    return () => subscription.unsubscribe();
  });
}

describe("Apollo Client over a split link", () => {
  it("queries and mutates over HTTP", async () => {
    const id = await place("gyoza", 50);
    const result = await within(
      apollo.query<Orders>({
        query: BY_TABLE,
        variables: { table: 50 },
        fetchPolicy: "network-only",
      }),
      STEP_MS,
      "the query",
    );
    expect(result.data?.ordersGetOrdersByTable).toEqual([
      { __typename: "Order", _id: id, dish: "gyoza", status: "placed" },
    ]);
    const update = await within(
      apollo.mutate({ mutation: UPDATE, variables: { id, status: "ready" } }),
      STEP_MS,
      "the status update",
    );
    expect(update.data).toEqual({ ordersUpdateStatus: null });
  });

  it("gets mutation errors with their code", async () => {
    const id = await place("mochi", 51);
    await apollo.mutate({ mutation: UPDATE, variables: { id, status: "served" } });
    const failed = apollo.mutate({ mutation: UPDATE, variables: { id, status: "placed" } });
    await expect(within(failed, STEP_MS, "the refused update")).rejects.toMatchObject({
      errors: [
        expect.objectContaining({
          extensions: expect.objectContaining({ code: "INVALID_TRANSITION" }) as unknown,
        }),
      ],
    });
  });

  it("follows a subscription over graphql-ws that a mutation updates", async () => {
    const first = await place("udon", 52);
    const watch = collect<Orders>(apollo.subscribe({ query: WATCH, variables: { table: 52 } }));
    try {
      const initial = await watch.next("the subscription's first result");
      expect(initial.ordersGetOrdersByTable.map((order) => order.dish)).toEqual(["udon"]);
      expect(gateway.upstream.subscriptionCount).toBe(1);

      await place("soba", 52);
      const next = await watch.next("the result after a mutation");
      expect(next.ordersGetOrdersByTable.map((order) => order.dish)).toEqual(["udon", "soba"]);

      await apollo.mutate({ mutation: UPDATE, variables: { id: first, status: "preparing" } });
      const third = await watch.next("the result after a status change");
      expect(third.ordersGetOrdersByTable[0]).toMatchObject({ _id: first, status: "preparing" });
    } finally {
      watch[Symbol.dispose]();
    }
    await eventually(
      () => gateway.upstream.subscriptionCount === 0,
      "upstream released after unsubscribe",
    );
  });

  it("normalises Order by _id, so a subscription update reaches a cached query", async () => {
    const id = await place("tempura", 53);
    await apollo.query({ query: BY_ID, variables: { id }, fetchPolicy: "network-only" });
    // The default dataIdFromObject uses `_id`: no typePolicies needed.
    expect(cache.extract()[`Order:${id}`]).toMatchObject({
      __typename: "Order",
      _id: id,
      dish: "tempura",
      status: "placed",
    });

    // A query that only reads the cache sees the order change when the subscription delivers it.
    const cached = collect<{ ordersGetOrderById: { status: string } | null }>(
      apollo.watchQuery({ query: BY_ID, variables: { id }, fetchPolicy: "cache-only" }),
    );
    const watch = collect<Orders>(apollo.subscribe({ query: WATCH, variables: { table: 53 } }));
    try {
      await watch.next("the subscription's first result");
      const before = await cached.next("the cached query's first result");
      expect(before.ordersGetOrderById?.status).toBe("placed");

      await apollo.mutate({ mutation: UPDATE, variables: { id, status: "ready" } });
      await watch.next("the subscription's update");
      expect(cache.extract()[`Order:${id}`]).toMatchObject({ status: "ready" });
      const after = await cached.next("the cached query's update");
      expect(after.ordersGetOrderById?.status).toBe("ready");
    } finally {
      watch[Symbol.dispose]();
      cached[Symbol.dispose]();
    }
    // Every Order in the cache is keyed by its id, never stored inline.
    const keys = Object.keys(cache.extract());
    expect(keys.filter((key) => key.startsWith("Order:")).length).toBeGreaterThanOrEqual(1);
    expect(keys.filter((key) => !key.startsWith("ROOT_") && !key.startsWith("Order:"))).toEqual([]);
  });
});
