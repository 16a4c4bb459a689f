/**
 * The subscribers child of `bench/fanout.ts` (messages in `gateway_protocol.ts`): N raw `ws`
 * sockets speaking graphql-transport-ws (graphql-ws's protocol) to one GraphQL endpoint, each
 * with one subscription whose only field is a number. A socket is one subscriber.
 *
 * Per socket: open -> `connection_init` -> (`connection_ack`) -> `subscribe` -> `next`, `next`...
 * A value counts as received when its `next` frame arrives (the socket's `message` event,
 * stamped with `monotonicMs()` before anything else), so client-side work is one `JSON.parse`.
 * The values are consecutive integers (a counter), and a live query may skip one when a newer
 * one is already there: a subscriber that receives `v` after `u` is "up to date" for every value
 * in `(u, v]` from then on. When every subscriber is up to date for a value, the parent hears
 * `delivered` with the first and last instants a subscriber became so; `counts` tells how many
 * received exactly that value. Values must rise on every socket: a repeated or lower value, an
 * `error` or `complete` frame and an unexpected close are reported as problems. Raw sockets instead of
 * graphql-ws's `createClient`: 10,000 clients' bookkeeping would weigh on every receipt.
 *
 * The subscribers live in a process of their own so that the server's numbers (its CPU, its
 * memory per subscriber) are the server's alone, and so that each side's 10,000 file descriptors
 * count against its own limit.
 */
import WebSocket from "ws";
import { runChild, sendToParent } from "./gateway_child.ts";
import {
  monotonicMs,
  type SubscribersMessage,
  type SubscribersRequest,
} from "./gateway_protocol.ts";

/** How long opening one socket and having its subscription accepted may take. */
const CONNECT_TIMEOUT_MS = 30_000;
/** The most consecutive values one update may have skipped. */
const MAX_SKIPPED = 1_000;
/** Problems reported to the parent (the rest are counted). */
const MAX_PROBLEMS = 20;

function send(message: SubscribersMessage): void {
  sendToParent(message);
}

/** Who is up to date for a value: how many subscribers, the first and last to become so. */
interface Receipt {
  count: number;
  firstMs: number;
  lastMs: number;
}

type ServerFrame =
  | { readonly type: "connection_ack" | "ping" | "pong" }
  | { readonly type: "next"; readonly id: string; readonly payload: unknown }
  | { readonly type: "error"; readonly id: string; readonly payload: unknown }
  | { readonly type: "complete"; readonly id: string };

class Fleet {
  private readonly sockets: WebSocket[] = [];
  /** Per value: the subscribers up to date for it (received it or a newer one). */
  private readonly receipts = new Map<number, Receipt>();
  /** Per value: the subscribers that received exactly it. */
  private readonly exact = new Map<number, number>();
  private expected = 0;
  /** True once every subscriber is subscribed: only then is anything `delivered`. */
  private complete = false;
  private problems = 0;
  private closing = false;

  problem(message: string): void {
    this.problems++;
    if (this.problems <= MAX_PROBLEMS) send({ type: "problem", message });
    else if (this.problems === MAX_PROBLEMS + 1) {
      send({ type: "problem", message: "more problems: not reported" });
    }
  }

  /** Opens `count` subscribers, `batch` at a time; resolves once every subscription is sent. */
  async connect(url: string, count: number, query: string, batch: number): Promise<void> {
    const wsUrl = url.replace(/^http/, "ws");
    for (let from = 0; from < count; from += batch) {
      const size = Math.min(batch, count - from);
      await Promise.all(Array.from({ length: size }, (_, i) => this.open(wsUrl, from + i, query)));
    }
    this.complete = true;
    for (const [value, receipt] of this.receipts) this.announce(value, receipt);
  }

  private open(url: string, index: number, query: string): Promise<void> {
    const socket = new WebSocket(url, "graphql-transport-ws", { perMessageDeflate: false });
    this.sockets.push(socket);
    this.expected++;
    let last: number | null = null;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`subscriber ${index}: not subscribed after ${CONNECT_TIMEOUT_MS} ms`)),
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
        if (!this.closing) this.problem(`subscriber ${index}: closed ${code} ${reason.toString()}`);
      });
      socket.on("message", (data) => {
        const atMs = monotonicMs();
        const frame = JSON.parse((data as Buffer).toString("utf8")) as ServerFrame;
        switch (frame.type) {
          case "connection_ack":
            socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
            clearTimeout(timer);
            resolve();
            return;
          case "ping":
            socket.send('{"type":"pong"}');
            return;
          case "pong":
            return;
          case "next": {
            const value = numberIn(frame.payload);
            if (value === null) {
              this.problem(
                `subscriber ${index}: unexpected payload ${JSON.stringify(frame.payload)}`,
              );
              return;
            }
            if (last !== null && value <= last) {
              this.problem(`subscriber ${index}: got ${value} after ${last}`);
              return;
            }
            this.receive(last, value, atMs);
            last = value;
            return;
          }
          case "error":
            this.problem(`subscriber ${index}: error ${JSON.stringify(frame.payload)}`);
            return;
          case "complete":
            this.problem(`subscriber ${index}: the server completed the subscription`);
            return;
          default:
            frame satisfies never;
        }
      });
    });
  }

  /** A subscriber whose previous value was `previous` (null: none yet) received `value`. */
  private receive(previous: number | null, value: number, atMs: number): void {
    this.exact.set(value, (this.exact.get(value) ?? 0) + 1);
    // A first value, or a jump too large to be skipped updates, counts for itself only.
    const from = previous === null || value - previous > MAX_SKIPPED ? value : previous + 1;
    for (let covered = from; covered <= value; covered++) {
      let receipt = this.receipts.get(covered);
      if (receipt === undefined) {
        receipt = { count: 0, firstMs: atMs, lastMs: atMs };
        this.receipts.set(covered, receipt);
      }
      receipt.count++;
      receipt.lastMs = atMs;
      this.announce(covered, receipt);
    }
  }

  private announce(value: number, receipt: Receipt): void {
    if (this.complete && receipt.count === this.expected) {
      send({ type: "delivered", value, firstMs: receipt.firstMs, lastMs: receipt.lastMs });
    }
  }

  counts(values: readonly number[]): number[] {
    return values.map((value) => this.exact.get(value) ?? 0);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.sockets.map(
        (socket) =>
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
          }),
      ),
    );
  }
}

/** `{"data":{"field":N}}` -> N; anything else -> null. */
function numberIn(payload: unknown): number | null {
  const data = (payload as { data?: Record<string, unknown> } | null)?.data;
  if (data === undefined || data === null) return null;
  const values = Object.values(data);
  return values.length === 1 && typeof values[0] === "number" ? values[0] : null;
}

runChild(() => {
  const fleet = new Fleet();
  process.on("message", (raw) => {
    const message = raw as SubscribersRequest;
    switch (message.type) {
      case "connect": {
        const started = monotonicMs();
        fleet.connect(message.url, message.count, message.query, message.batch).then(
          () => send({ type: "connected", count: message.count, ms: monotonicMs() - started }),
          (error: unknown) =>
            send({
              type: "failed",
              message: error instanceof Error ? error.message : String(error),
            }),
        );
        return;
      }
      case "counts":
        send({ type: "counts", counts: fleet.counts(message.values) });
        return;
      case "close":
        return; // runChild closes
      default:
        message satisfies never;
    }
  });
  return Promise.resolve({
    ready: { type: "ready" } satisfies SubscribersMessage,
    close: () => fleet.close(),
  });
});
