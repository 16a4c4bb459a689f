/**
 * Graceful shutdown of the gateway with a mutation in flight. A proxy between the gateway and the
 * backend holds the mutation's upstream call (`POST /api/mutation`) until the test releases it,
 * so the mutation is certainly in flight when `close()` is called:
 * - new connections are refused at once, `close()` waits for the mutation, the client gets its
 *   result, it is committed, and a graphql-ws client then sees 1001 Going Away;
 * - the wait is bounded: a mutation that never ends does not hold the shutdown past
 *   `shutdownTimeoutMs`.
 */
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { startTestBackend } from "../utils/backend.ts";
import { post, startTestGateway, wsClient, type HttpAnswer } from "./support/gateway.ts";
import { api } from "../../convex/_generated/api.js";
import { PLACE_ORDER, convexHttp } from "./support/example_app.ts";
import { eventually, staysFalse, STEP_MS, within } from "../utils/waits.ts";

const ordersByTable = api.orders.getOrdersByTable;

interface GatedProxy extends AsyncDisposable {
  readonly url: string;
  /** Mutation calls the proxy holds now. */
  readonly held: number;
  /** Lets every held (and later) mutation call through. */
  release(): void;
}

/** An HTTP and WebSocket proxy to `target` that holds `POST /api/mutation` until released. */
async function gatedProxy(target: string): Promise<GatedProxy> {
  const upstream = new URL(target);
  let open = false;
  const held: (() => void)[] = [];
  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void => {
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    out.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const go = (): void => forward(req, res, Buffer.concat(chunks));
      if (!open && req.url?.startsWith("/api/mutation") === true) held.push(go);
      else go();
    });
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const out = net.connect(Number(upstream.port), upstream.hostname, () => {
      const headers = Object.entries(req.headers).map(
        ([name, value]) => `${name}: ${String(value)}`,
      );
      out.write(
        `${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`,
      );
      out.write(head);
      socket.pipe(out).pipe(socket);
    });
    out.on("error", () => socket.destroy());
    socket.on("error", () => out.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const release = (): void => {
    open = true;
    for (const go of held.splice(0)) go();
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get held() {
      return held.length;
    },
    release,
    async [Symbol.asyncDispose]() {
      release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

it("lets an in-flight mutation finish, then closes graphql-ws sockets with 1001", async () => {
  await using backend = await within(startTestBackend(), 30_000, "the backend to start");
  await using proxy = await within(gatedProxy(backend.url), STEP_MS, "the proxy to start");
  await using gateway = await startTestGateway(proxy.url, { shutdownTimeoutMs: 10_000 });
  // A connected graphql-ws client (no subscription: the mutation then goes over HTTP, the proxy's gate).
  let connected = false;
  await using client = wsClient(gateway.url, {
    lazy: false,
    // The 1001 close is expected: recorded in `closes`, not printed.
    onNonLazyError: () => {},
    on: { connected: () => (connected = true) },
  });
  await eventually(() => connected, "the graphql-ws socket to be acknowledged");
  expect(gateway.upstream.clientCount).toBe(0);

  const answer = post(gateway.url, {
    query: PLACE_ORDER,
    variables: { dish: "during shutdown", table: 91 },
  });
  await eventually(() => proxy.held === 1, "the mutation to be held upstream");
  let closed = false;
  const closing = gateway.close().then(() => {
    closed = true;
  });

  // Not accepting any more, but waiting for the mutation.
  await expect(
    within(fetch(`${new URL(gateway.url).origin}/healthz`), STEP_MS, "a refused connection"),
  ).rejects.toThrow();
  expect(await staysFalse(() => closed, 300)).toBe(true);
  expect(client.closes).toEqual([]);

  proxy.release();
  const result: HttpAnswer = await answer;
  expect(result.status).toBe(200);
  const id = (result.json().data as { ordersPlaceOrder: unknown }).ordersPlaceOrder;
  expect(typeof id).toBe("string");
  await within(closing, STEP_MS, "the gateway to close");
  await eventually(() => client.closes.length > 0, "the graphql-ws socket to close");
  expect(client.closes[0]?.code).toBe(1001);

  // It committed.
  const orders = await within(
    convexHttp(backend.url).query(ordersByTable, { table: 91 }),
    STEP_MS,
    "the orders",
  );
  expect(orders.map((order) => order.dish)).toEqual(["during shutdown"]);
});

it("does not wait for an in-flight mutation longer than shutdownTimeoutMs", async () => {
  await using backend = await within(startTestBackend(), 30_000, "the backend to start");
  await using proxy = await within(gatedProxy(backend.url), STEP_MS, "the proxy to start");
  await using gateway = await startTestGateway(proxy.url, { shutdownTimeoutMs: 300 });
  const answer = post(gateway.url, {
    query: PLACE_ORDER,
    variables: { dish: "never answered", table: 92 },
  }).catch((error: unknown) => error);
  await eventually(() => proxy.held === 1, "the mutation to be held upstream");
  const started = Date.now();
  await within(gateway.close(), STEP_MS, "the gateway to close despite the held mutation");
  // It waited (at least most of the bound) before giving up.
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  // The client's request ends (its connection is closed): it does not hang.
  await within(answer, STEP_MS, "the held request to end");
});
