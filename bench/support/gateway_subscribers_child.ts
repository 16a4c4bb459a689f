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
import { performance } from "node:perf_hooks";
import {
  openSse,
  openWs,
  type CloseSubscriber,
  type OpenSubscriber,
  type SubscriberEvents,
} from "./gateway_subscriber_transports.ts";
import { runChild, sendToParent } from "./gateway_child.ts";
import {
  monotonicMs,
  type SubscribersMessage,
  type SubscribersRequest,
} from "./gateway_protocol.ts";

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

class Fleet implements SubscriberEvents {
  private readonly closers: CloseSubscriber[] = [];
  /** Per subscriber: the last value it received (null: none yet). */
  private readonly lasts: (number | null)[] = [];
  /** Per value: the subscribers up to date for it (received it or a newer one). */
  private readonly receipts = new Map<number, Receipt>();
  /** Per value: the subscribers that received exactly it. */
  private readonly exact = new Map<number, number>();
  private expected = 0;
  /** True once every subscriber is subscribed: only then is anything `delivered`. */
  private complete = false;
  private problems = 0;
  closing = false;

  problem(message: string): void {
    this.problems++;
    if (this.problems <= MAX_PROBLEMS) send({ type: "problem", message });
    else if (this.problems === MAX_PROBLEMS + 1) {
      send({ type: "problem", message: "more problems: not reported" });
    }
  }

  /** Opens `count` subscribers, `batch` at a time; resolves once every subscription is sent. */
  async connect(
    open: OpenSubscriber,
    url: string,
    count: number,
    query: string,
    batch: number,
  ): Promise<void> {
    for (let from = 0; from < count; from += batch) {
      const size = Math.min(batch, count - from);
      const opened = await Promise.all(
        Array.from({ length: size }, (_, i) => {
          this.expected++;
          this.lasts.push(null);
          return open(url, from + i, query, this);
        }),
      );
      this.closers.push(...opened);
    }
    this.complete = true;
    for (const [value, receipt] of this.receipts) this.announce(value, receipt);
  }

  next(index: number, payload: unknown, atMs: number): void {
    const value = numberIn(payload);
    if (value === null) {
      this.problem(`subscriber ${index}: unexpected payload ${JSON.stringify(payload)}`);
      return;
    }
    const last = this.lasts[index] ?? null;
    if (last !== null && value <= last) {
      this.problem(`subscriber ${index}: got ${value} after ${last}`);
      return;
    }
    this.receive(last, value, atMs);
    this.lasts[index] = value;
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
    await Promise.all(this.closers.map((close) => close()));
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
        const open = message.transport === "sse" ? openSse : openWs;
        fleet.connect(open, message.url, message.count, message.query, message.batch).then(
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
      case "load": {
        const elu = performance.eventLoopUtilization();
        const cpu = process.cpuUsage();
        const eventLoop = { idle: elu.idle, active: elu.active };
        send({ type: "load", load: { eventLoop, cpuMicros: cpu.user + cpu.system } });
        return;
      }
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
