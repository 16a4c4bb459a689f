/**
 * The SSE binding's own bytes (gateway/sse_server.ts, sse_stream.ts), read raw with `node:http`:
 * a live stream answers with Yoga's headers and the request id, starts with a ping comment, pings
 * while idle (every 300 ms under NODE_ENV=test, as Yoga does), and a reader leaving releases the
 * live operation upstream.
 */
import http from "node:http";
import { expect, it } from "vitest";
import { useSharedServers } from "./support/gateway.ts";
import { WATCH_TABLE } from "./support/example_app.ts";
import { eventually, within, STEP_MS } from "../utils/waits.ts";

const servers = useSharedServers({ expectReleasedAfterEach: true });

/** A raw SSE request: its response head, and the body's text as it arrives. */
async function openRaw(url: string, body: unknown) {
  const chunks: string[] = [];
  const request = http.request(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      "x-request-id": "sse-binding-test",
    },
  });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.once("error", reject);
  });
  request.end(JSON.stringify(body));
  const head = await within(response, STEP_MS, "the SSE response head");
  head.setEncoding("utf8");
  head.on("data", (chunk: string) => chunks.push(chunk));
  head.on("error", () => {});
  return { head, text: () => chunks.join(""), close: () => request.destroy() };
}

it("streams with Yoga's headers and bytes, pings while idle, releases on close", async () => {
  const stream = await openRaw(servers.gateway.url, {
    query: WATCH_TABLE,
    variables: { table: 71 },
  });
  try {
    // 1. The head: Yoga's SSE headers, and the caller's request id answered back.
    expect(stream.head.statusCode).toBe(200);
    expect(stream.head.headers["content-type"]).toBe("text/event-stream");
    expect(stream.head.headers["cache-control"]).toBe("no-cache");
    expect(stream.head.headers["x-request-id"]).toBe("sse-binding-test");

    // 2. A ping first, then the current result as a `next` event.
    await eventually(() => stream.text().includes("event: next\n"), "the first result");
    expect(stream.text()).toMatch(
      /^:\n\nevent: next\ndata: \{"data":\{"ordersGetOrdersByTable":\[\]\}\}\n\n/,
    );
    expect(servers.gateway.live.size).toBe(1);

    // 3. Idle: pings keep coming (300 ms apart in tests), nothing else.
    const before = stream.text().length;
    await eventually(() => stream.text().length > before, "a ping while idle");
    expect(stream.text().slice(before)).toMatch(/^(:\n\n)+$/);
  } finally {
    stream.close();
  }
  // 4. The reader left: the live operation and its upstream subscription go.
  await eventually(
    () => servers.gateway.live.size === 0 && servers.gateway.upstream.subscriptionCount === 0,
    "released after the reader left",
  );
});
