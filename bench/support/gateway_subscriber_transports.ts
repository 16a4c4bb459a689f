/**
 * How a subscriber of `bench/fanout.ts` subscribes (in `gateway_subscribers_child.ts`): over
 * graphql-transport-ws on a raw `ws` socket, or over SSE (graphql-sse's distinct-connections
 * mode, what Yoga serves for `Accept: text/event-stream`) on a plain `node:http` GET, one socket
 * each. Raw clients instead of graphql-ws's `createClient` or an EventSource: 10,000 clients'
 * bookkeeping would weigh on every receipt. Each stamps a `next` with `monotonicMs()` as soon as
 * it arrives, before parsing it.
 */
import http from "node:http";
import WebSocket from "ws";
import { monotonicMs } from "./gateway_protocol.ts";

/** How long opening one subscriber and having its subscription accepted may take. */
const CONNECT_TIMEOUT_MS = 30_000;

/** What a subscriber's transport reports to the fleet. */
export interface SubscriberEvents {
  /** Subscriber `index` received the payload of a `next` (at `atMs`, taken on arrival). */
  next(index: number, payload: unknown, atMs: number): void;
  problem(message: string): void;
  /** True once the fleet closes its subscribers: closes are expected from then on. */
  readonly closing: boolean;
}

/** One open subscriber: closes it, resolving once it is closed. */
export type CloseSubscriber = () => Promise<void>;

/** Opens one subscriber; resolves once its subscription is sent (rejects if it cannot be). */
export type OpenSubscriber = (
  url: string,
  index: number,
  query: string,
  events: SubscriberEvents,
) => Promise<CloseSubscriber>;

/** What a graphql-transport-ws server sends. */
type ServerFrame =
  | { readonly type: "connection_ack" | "ping" | "pong" }
  | { readonly type: "next"; readonly id: string; readonly payload: unknown }
  | { readonly type: "error"; readonly id: string; readonly payload: unknown }
  | { readonly type: "complete"; readonly id: string };

/** A graphql-transport-ws subscriber on a raw `ws` socket. */
export const openWs: OpenSubscriber = (url, index, query, events) => {
  const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws", {
    perMessageDeflate: false,
  });
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 5_000);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1000);
    });
  return new Promise<CloseSubscriber>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`subscriber ${index}: not subscribed after ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    socket.once("open", () => socket.send('{"type":"connection_init"}'));
    // Before the subscription: fails the connect; after it: the close that follows reports it.
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`subscriber ${index}: ${error.message}`));
    });
    socket.on("close", (code, reason) => {
      clearTimeout(timer);
      if (!events.closing)
        events.problem(`subscriber ${index}: closed ${code} ${reason.toString()}`);
    });
    socket.on("message", (data) => {
      const atMs = monotonicMs();
      const frame = JSON.parse((data as Buffer).toString("utf8")) as ServerFrame;
      switch (frame.type) {
        case "connection_ack":
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
          clearTimeout(timer);
          resolve(close);
          return;
        case "ping":
          socket.send('{"type":"pong"}');
          return;
        case "pong":
          return;
        case "next":
          events.next(index, frame.payload, atMs);
          return;
        case "error":
          events.problem(`subscriber ${index}: error ${JSON.stringify(frame.payload)}`);
          return;
        case "complete":
          events.problem(`subscriber ${index}: the server completed the subscription`);
          return;
        default:
          frame satisfies never;
      }
    });
  });
};

/**
 * An SSE subscriber: `GET /graphql?query=...` with `Accept: text/event-stream`, resolved once the
 * response's headers arrive. Events are separated by a blank line; `:` lines are comments (pings).
 */
export const openSse: OpenSubscriber = (url, index, query, events) => {
  const target = new URL(url);
  target.searchParams.set("query", query);
  let response: http.IncomingMessage | null = null;
  const request = http.get(target, { agent: false, headers: { accept: "text/event-stream" } });
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (request.destroyed && (response === null || response.destroyed)) return resolve();
      request.once("close", () => resolve());
      request.destroy();
    });
  return new Promise<CloseSubscriber>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`subscriber ${index}: no SSE response after ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    );
    request.once("error", (error) => {
      clearTimeout(timer);
      if (response === null) reject(new Error(`subscriber ${index}: ${error.message}`));
    });
    request.once("response", (res) => {
      response = res;
      clearTimeout(timer);
      if (res.statusCode !== 200) {
        reject(new Error(`subscriber ${index}: SSE answered ${res.statusCode}`));
        return;
      }
      resolve(close);
      res.setEncoding("utf8");
      let pending = "";
      res.on("data", (chunk: string) => {
        const atMs = monotonicMs();
        pending += chunk;
        let end = pending.indexOf("\n\n");
        while (end >= 0) {
          sseEvent(pending.slice(0, end), index, atMs, events);
          pending = pending.slice(end + 2);
          end = pending.indexOf("\n\n");
        }
      });
      res.once("close", () => {
        if (!events.closing) events.problem(`subscriber ${index}: the SSE stream ended`);
      });
    });
  });
};

/** One SSE event (its lines, without the blank line that ended it). */
function sseEvent(text: string, index: number, atMs: number, events: SubscriberEvents): void {
  let event = "message";
  let data = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trimStart();
  }
  switch (event) {
    case "message":
      return; // only comments (pings)
    case "next":
      events.next(index, JSON.parse(data) as unknown, atMs);
      return;
    case "complete":
      events.problem(`subscriber ${index}: the server completed the subscription`);
      return;
    default:
      events.problem(`subscriber ${index}: unexpected SSE event ${event}: ${data}`);
  }
}
