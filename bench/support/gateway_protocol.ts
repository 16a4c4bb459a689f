/**
 * What the gateway benchmarks (`bench/gateway_overhead.ts`, `bench/fanout.ts`) and their child
 * processes say to each other over IPC, and the clock they share.
 *
 * Two kinds of child (forked through `cli/run_ts.js`, see `gateway_child.ts`):
 *
 *   server child (`gateway_server_child.ts`, argv `gateway CONVEX_URL` or `yoga`)
 *     child  -> parent  { type: "ready", url }               once, when it listens
 *     child  -> parent  { type: "failed", message }          start-up failed, then exit 1
 *     parent -> child   { type: "stats", gc }                answer: { type: "stats", stats }
 *     parent -> child   { type: "publish", value }           yoga only; answer: { type: "published", value, atMs }
 *     parent -> child   { type: "close" }                    answer: { type: "closed" }, then exit
 *
 *   subscribers child (`gateway_subscribers_child.ts`, no argv)
 *     child  -> parent  { type: "ready" }                    once
 *     parent -> child   { type: "connect", url, count, query, batch }
 *                                                            answer: { type: "connected", count, ms }
 *     child  -> parent  { type: "delivered", value, firstMs, lastMs }
 *                                                            once every subscriber has `value` or
 *                                                            a newer one
 *     child  -> parent  { type: "problem", message }         a wrong, repeated or out-of-order value,
 *                                                            an error or an unexpected close
 *     parent -> child   { type: "counts", values }           answer: { type: "counts", counts }:
 *                                                            how many received exactly each value
 *     parent -> child   { type: "close" }                    answer: { type: "closed" }, then exit
 *
 * A child whose parent goes away (the IPC channel disconnects) closes everything and exits.
 */

/**
 * Milliseconds on the system's monotonic clock (`CLOCK_MONOTONIC`, what `process.hrtime` reads),
 * with microsecond resolution. Unlike `performance.now()` (which counts from each process's own
 * start), it is the same clock in every process of the machine, so an instant taken in one child
 * can be subtracted from an instant taken in another.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/**
 * The server children: the gateway, the plain Yoga baseline, and the raw broadcast (plain `ws`
 * and plain HTTP writing the same bytes, `gateway_raw_broadcast.ts`).
 */
export type ServerKind = "gateway" | "yoga" | "raw";

/** How subscribers subscribe: graphql-transport-ws over WebSocket, or SSE (`text/event-stream`). */
export type SubscriberTransport = "ws" | "sse";

/** A snapshot of a server child; CPU and event-loop figures are totals since it started. */
export interface ServerStats {
  /** CPU time (user + system) of the child, µs. */
  readonly cpuMicros: number;
  /** `performance.eventLoopUtilization()`: ms the event loop was idle / busy. */
  readonly eventLoop: { readonly idle: number; readonly active: number };
  /**
   * The longest the event loop was held (one macrotask and its microtasks), ms, since the
   * previous stats request (`monitorEventLoopDelay`, 10 ms resolution): while it is held, every
   * request, ping and upstream message to this server waits.
   */
  readonly longestStallMs: number;
  /** `process.memoryUsage()`, taken after a full GC when the request asked for one. */
  readonly memory: {
    readonly rss: number;
    readonly heapUsed: number;
    readonly external: number;
    readonly arrayBuffers: number;
  };
  /** Open connections (yoga, raw), or null when the server does not expose them (gateway). */
  readonly connections: number | null;
  /** The gateway's live-operation bookkeeping; null for the plain Yoga server. */
  readonly live: {
    /** Distinct live operations (`gateway.live.size`). */
    readonly operations: number;
    /** Upstream Convex query subscriptions (`gateway.upstream.subscriptionCount`). */
    readonly upstreamSubscriptions: number;
    /** Upstream Convex connections (`gateway.upstream.clientCount`). */
    readonly upstreamClients: number;
  } | null;
}

export type ServerRequest =
  | { readonly type: "stats"; readonly gc: boolean }
  | { readonly type: "publish"; readonly value: number }
  | { readonly type: "close" };

export type ServerMessage =
  | { readonly type: "ready"; readonly url: string }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "stats"; readonly stats: ServerStats }
  | { readonly type: "published"; readonly value: number; readonly atMs: number }
  | { readonly type: "closed" };

export type SubscribersRequest =
  | {
      readonly type: "connect";
      /** The GraphQL endpoint, `http://host:port/graphql`. */
      readonly url: string;
      readonly count: number;
      /** A subscription selecting one number as its only field, e.g. `countersGet`. */
      readonly query: string;
      readonly transport: SubscriberTransport;
      /** Connections opened at once. */
      readonly batch: number;
    }
  | { readonly type: "counts"; readonly values: readonly number[] }
  | { readonly type: "load" }
  | { readonly type: "close" };

/** A subscribers child's load, totals since it started. */
export interface SubscribersLoad {
  /** `performance.eventLoopUtilization()`: ms idle / busy. */
  readonly eventLoop: { readonly idle: number; readonly active: number };
  /** CPU time (user + system), µs. */
  readonly cpuMicros: number;
}

export type SubscribersMessage =
  | { readonly type: "ready" }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "connected"; readonly count: number; readonly ms: number }
  | {
      readonly type: "delivered";
      readonly value: number;
      /** `monotonicMs()` of the first and the last subscriber to have `value` or a newer one. */
      readonly firstMs: number;
      readonly lastMs: number;
    }
  | { readonly type: "problem"; readonly message: string }
  | { readonly type: "counts"; readonly counts: readonly number[] }
  | { readonly type: "load"; readonly load: SubscribersLoad }
  | { readonly type: "closed" };
