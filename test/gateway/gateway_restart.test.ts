/**
 * The gateway restarts under live subscriptions: it is closed (graphql-ws sockets close with
 * 1001) and a new one starts on the same port. A graphql-ws client with retries reconnects and
 * resubscribes by itself; its first event after that is the current result, and later changes
 * keep coming. (README: "For client authors".)
 */
import { expect, it } from "vitest";
import { startTestBackend } from "../utils/backend.ts";
import { dishes, PLACE_ORDER, WATCH_TABLE } from "./support/example_app.ts";
import { data, record, startTestGateway, wsClient } from "./support/gateway.ts";
import { delay } from "../utils/waits.ts";

it("is survived by graphql-ws clients that retry: they resubscribe and get the current result", async () => {
  await using backend = await startTestBackend();
  const first = await startTestGateway(backend.url);
  const port = first.port;
  // graphql-ws's default lazy connection, retrying after a second (the gateway is back by then).
  await using client = wsClient(first.url, {
    retryAttempts: 5,
    retryWait: () => delay(1_000),
  });
  using watch = record(client, { query: WATCH_TABLE, variables: { table: 70 } });
  expect((await watch.next("the first result")).data).toEqual({ ordersGetOrdersByTable: [] });

  await first.close();
  await using second = await startTestGateway(backend.url, { port });
  expect(second.port).toBe(port);
  await data(second.url, PLACE_ORDER, { dish: "while away", table: 70 });

  // Whether the client resubscribed before or after that write, it ends up with the order.
  let latest = await watch.next("the result after resubscribing", 15_000);
  while (dishes(latest.data?.["ordersGetOrdersByTable"]).length === 0) {
    latest = await watch.next("the result holding the order", 10_000);
  }
  expect(dishes(latest.data?.["ordersGetOrdersByTable"])).toEqual(["while away"]);
  expect(client.closes.some((close) => close.code === 1001)).toBe(true);

  await data(second.url, PLACE_ORDER, { dish: "after", table: 70 });
  const next = await watch.next("the next change");
  expect(dishes(next.data?.["ordersGetOrdersByTable"])).toEqual(["while away", "after"]);
  expect(watch.error).toBeUndefined();
  // Done before the second gateway closes: a client that keeps retrying would see it go.
  await client.dispose();
});
