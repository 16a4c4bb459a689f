/**
 * The backend restarts under live subscriptions: it is closed and a new one is started on the
 * same port with the same data file. The gateway's upstream Convex client reconnects and
 * resubscribes by itself; the graphql-ws client sees no error and no repeated result, only the
 * next change. A subscription made while the backend is down gets its first result once it is up.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { startTestBackend } from "../utils/backend.ts";
import { data, record, startTestGateway, wsClient } from "./support/gateway.ts";
import { dishes, LIVE_TABLE, PLACE_ORDER, WATCH_TABLE } from "./support/example_app.ts";
import { staysFalse, STEP_MS, within } from "../utils/waits.ts";

it("keeps graphql-ws subscriptions working across a backend restart", async () => {
  const first = await startTestBackend();
  const { port, dataFile } = first;
  let firstClosed = false;
  await using _first = {
    async [Symbol.asyncDispose]() {
      if (!firstClosed) await first.close();
    },
  };
  await using gateway = await startTestGateway(first.url);
  await using client = wsClient(gateway.url);
  using watch = record(client, { query: WATCH_TABLE, variables: { table: 60 } });
  using live = record(client, { query: LIVE_TABLE, variables: { table: 60 } });

  await data(gateway.url, PLACE_ORDER, { dish: "before", table: 60 });
  // The first result may or may not already hold "before": wait until it does.
  for (const recording of [watch, live]) {
    let latest = await recording.next("a result");
    while (dishes(latest.data?.["ordersGetOrdersByTable"]).length === 0) {
      latest = await recording.next("the result holding the first order");
    }
    expect(dishes(latest.data?.["ordersGetOrdersByTable"])).toEqual(["before"]);
  }

  // Down...
  await within(first.close(), STEP_MS, "the backend to close");
  firstClosed = true;
  // ...and up again on the same port, with the same data.
  await using second = await startTestBackend({ port, dataFile });
  expect(second.port).toBe(port);

  // The upstream client reconnects and resubscribes (a write through the gateway's HTTP path
  // goes to the new backend). The unchanged result is not sent again.
  await data(gateway.url, PLACE_ORDER, { dish: "after", table: 60 });
  for (const recording of [watch, live]) {
    const next = await recording.next("the result after the restart", 15_000);
    expect(next.errors).toBeUndefined();
    expect(dishes(next.data?.["ordersGetOrdersByTable"])).toEqual(["before", "after"]);
  }
  expect(await staysFalse(() => watch.pending > 0 || live.pending > 0, 200)).toBe(true);
  expect(watch.error).toBeUndefined();
  expect(live.error).toBeUndefined();
  expect(watch.completed || live.completed).toBe(false);
  expect(client.closes).toEqual([]);
  expect(gateway.upstream.subscriptionCount).toBe(1);
});

it("gives a subscription made while the backend is down its first result once it is up", async () => {
  // A port that was free a moment ago.
  const port = await new Promise<number>((resolve) => {
    const server = http.createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
  await using gateway = await startTestGateway(`http://127.0.0.1:${port}`);
  await using client = wsClient(gateway.url);
  using watch = record(client, { query: WATCH_TABLE, variables: { table: 61 } });
  // Nothing to say yet: no error, no result.
  expect(await staysFalse(() => watch.pending > 0 || watch.error !== undefined, 300)).toBe(true);

  await using backend = await startTestBackend({ port });
  const first = await watch.next("the first result once the backend is up", 15_000);
  expect(first).toEqual({ data: { ordersGetOrdersByTable: [] } });
  await data(gateway.url, PLACE_ORDER, { dish: "late", table: 61 });
  expect(dishes((await watch.next("the next result")).data?.["ordersGetOrdersByTable"])).toEqual([
    "late",
  ]);
  expect(backend.port).toBe(port);
});

it("tells a subscriber when the backend stays unreachable, then delivers once it is up", async () => {
  const port = await new Promise<number>((resolve) => {
    const server = http.createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
  await using gateway = await startTestGateway(`http://127.0.0.1:${port}`, {
    upstreamTimeoutMs: 300,
  });
  await using client = wsClient(gateway.url);
  using watch = record(client, { query: WATCH_TABLE, variables: { table: 62 } });
  // No answer within the upstream timeout: a result carrying CONVEX_UNAVAILABLE, socket still open.
  const unavailable = await watch.next("the unavailable result");
  expect(unavailable.errors?.[0]?.extensions?.["code"]).toBe("CONVEX_UNAVAILABLE");
  expect(watch.error).toBeUndefined();

  await using backend = await startTestBackend({ port });
  const first = await watch.next("the first result once the backend is up", 15_000);
  expect(first).toEqual({ data: { ordersGetOrdersByTable: [] } });
  expect(backend.port).toBe(port);
});
