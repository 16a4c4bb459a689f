/**
 * The fast path of live results (gateway/ws_next_frames.ts, gateway/sse_events.ts): a live
 * operation's result is serialised once and written to each subscriber's socket as a ready
 * graphql-ws `next` frame or SSE event. Told as a story over raw sockets and SSE streams, beside
 * the real graphql-ws client:
 * 1. two raw sockets subscribe with the same id, a graphql-ws client with its own; each gets the
 *    current result, then every change, as text frames whose bytes are exactly what graphql-ws
 *    would send (`{"id":ID,"type":"next","payload":RESULT}`), and the updates went the fast path;
 * 2. a subscription the client completed gets nothing more, and its id can be used again at once:
 *    the new subscription gets the current result, then each change exactly once.
 * 3. SSE streams get Yoga's `next` events, by the fast path too.
 * (Results with errors keep going through the stream, where Yoga masks them: error_codes.test.ts.)
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { data, record, useSharedServers, wsClient, wsUrl } from "./support/gateway.ts";
import { dishes, PLACE_ORDER, WATCH_TABLE } from "./support/example_app.ts";
import { SseStream } from "./support/sse.ts";
import { eventually, STEP_MS, within } from "../utils/waits.ts";

const servers = useSharedServers({ expectReleasedAfterEach: true });

interface Frame {
  readonly text: string;
  readonly binary: boolean;
  readonly message: { type: string; id?: string; payload?: unknown };
}

/** A raw graphql-transport-ws socket that records every frame it receives. */
async function rawSocket(url: string) {
  const socket = new WebSocket(wsUrl(url), "graphql-transport-ws");
  const frames: Frame[] = [];
  socket.on("message", (raw: Buffer, binary: boolean) => {
    const text = raw.toString("utf8");
    frames.push({ text, binary, message: JSON.parse(text) as Frame["message"] });
  });
  await within(
    new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    }),
    STEP_MS,
    "a raw socket to connect",
  );
  socket.send(JSON.stringify({ type: "connection_init" }));
  await eventually(() => frames.some((frame) => frame.message.type === "connection_ack"), "ack");
  return {
    frames,
    /** The `next` frames of subscription `id`. */
    nexts: (id: string) =>
      frames.filter((frame) => frame.message.type === "next" && frame.message.id === id),
    subscribe(id: string, table: number): void {
      const payload = { query: WATCH_TABLE, variables: { table } };
      socket.send(JSON.stringify({ id, type: "subscribe", payload }));
    },
    complete: (id: string) => socket.send(JSON.stringify({ id, type: "complete" })),
    [Symbol.dispose]: () => socket.close(),
  };
}

async function placeOrder(dish: string, table: number): Promise<void> {
  await data(servers.gateway.url, PLACE_ORDER, { dish, table });
}

const ordered = (frame: Frame | undefined): string[] =>
  dishes(
    (frame?.message.payload as { data?: Record<string, unknown> }).data?.["ordersGetOrdersByTable"],
  );

describe("live results over graphql-ws, serialised once", () => {
  it("sends graphql-ws's exact bytes to every subscriber, by the fast path", async () => {
    const table = 301;
    await placeOrder("soup", table);
    using first = await rawSocket(servers.gateway.url);
    using second = await rawSocket(servers.gateway.url);
    await using client = wsClient(servers.gateway.url);
    using watch = record(client, { query: WATCH_TABLE, variables: { table } });
    first.subscribe("same", table);
    second.subscribe("same", table);
    await watch.next("the client's current result");
    await eventually(
      () => first.nexts("same").length + second.nexts("same").length === 2,
      "both current results",
    );
    expect(servers.gateway.live.size).toBe(1); // one live operation for all three
    const directBefore = servers.gateway.live.directDeliveries;

    // 1. Each change reaches all three; the raw sockets get graphql-ws's exact text frames.
    for (const [i, dish] of ["salad", "bread"].entries()) {
      await placeOrder(dish, table);
      const result = await watch.next(`the client's result after ${dish}`);
      await eventually(
        () => first.nexts("same").length === i + 2 && second.nexts("same").length === i + 2,
        `both raw sockets' result after ${dish}`,
      );
      for (const socket of [first, second]) {
        const frame = socket.nexts("same").at(-1);
        expect(frame?.binary).toBe(false);
        expect(frame?.text).toBe(JSON.stringify({ id: "same", type: "next", payload: result }));
      }
    }
    expect(ordered(first.nexts("same").at(-1))).toEqual(["soup", "salad", "bread"]);
    // Two changes x three subscribers, none of them through the stream.
    expect(servers.gateway.live.directDeliveries - directBefore).toBe(6);
  });

  it("stops at complete, and a reused id starts afresh without duplicates", async () => {
    const table = 302;
    await placeOrder("soup", table);
    using socket = await rawSocket(servers.gateway.url);
    socket.subscribe("a", table);
    await eventually(() => socket.nexts("a").length === 1, "the current result");
    socket.complete("a");
    await eventually(() => servers.gateway.live.size === 0, "the live operation to end");

    // 2. The same id again, at once: the current result, then each change exactly once.
    socket.subscribe("a", table);
    await eventually(() => socket.nexts("a").length === 2, "the current result again");
    await placeOrder("salad", table);
    await eventually(() => socket.nexts("a").length === 3, "the change");
    await placeOrder("bread", table);
    await eventually(() => socket.nexts("a").length === 4, "the next change");
    expect(socket.nexts("a").map(ordered)).toEqual([
      ["soup"],
      ["soup"],
      ["soup", "salad"],
      ["soup", "salad", "bread"],
    ]);
  });

  it("sends Yoga's SSE events to every stream, by the fast path", async () => {
    const table = 303;
    await placeOrder("soup", table);
    const body = { query: WATCH_TABLE, variables: { table } };
    await using first = await SseStream.open(servers.gateway.url, body);
    await using second = await SseStream.open(servers.gateway.url, body);
    await using client = wsClient(servers.gateway.url);
    using watch = record(client, body);
    await watch.next("the client's current result");
    for (const stream of [first, second]) await stream.nextResult("the current result");
    const directBefore = servers.gateway.live.directDeliveries;

    for (const dish of ["salad", "bread"]) {
      await placeOrder(dish, table);
      const result = await watch.next(`the client's result after ${dish}`);
      for (const stream of [first, second]) {
        const message = await stream.next(`the SSE event after ${dish}`);
        expect(message).toEqual({ event: "next", data: JSON.stringify(result) });
      }
    }
    // Two changes x (two streams and the graphql-ws client).
    expect(servers.gateway.live.directDeliveries - directBefore).toBe(6);
  });
});
