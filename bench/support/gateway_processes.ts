/**
 * The parent's handles on the gateway benchmarks' children: a server (the gateway, the plain
 * Yoga baseline or the raw broadcast) and a fleet of subscribers (graphql-ws or SSE) spread over
 * several processes. Both are `await using` resources.
 */
import { forkChild, type Child } from "./gateway_child.ts";
import {
  monotonicMs,
  type ServerKind,
  type ServerMessage,
  type ServerRequest,
  type ServerStats,
  type SubscriberTransport,
  type SubscribersLoad,
  type SubscribersMessage,
  type SubscribersRequest,
} from "./gateway_protocol.ts";

const ANSWER_TIMEOUT_MS = 30_000;

/** A server child on port 0. */
export interface ServerProcess extends AsyncDisposable {
  readonly kind: ServerKind;
  /** `http://127.0.0.1:PORT/graphql` */
  readonly url: string;
  /** CPU, event loop and memory (after a full GC when `gc`) of the server process. */
  stats(gc?: boolean): Promise<ServerStats>;
  /** Yoga and raw only: publishes `value`; resolves with the child's `monotonicMs()` of the publish. */
  publish(value: number): Promise<number>;
  close(): Promise<void>;
}

/** Starts the gateway (in front of `convexUrl`) or the plain Yoga server in a child process. */
export async function startServerProcess(
  kind: ServerKind,
  convexUrl?: string,
  /** The app whose derived schema the gateway serves. @default the example app */
  appDir?: string,
): Promise<ServerProcess> {
  if (kind === "gateway" && convexUrl === undefined) throw new Error("the gateway needs a URL");
  const { child, ready } = await forkChild<ServerRequest, ServerMessage>(
    "gateway_server_child.ts",
    kind === "gateway"
      ? [kind, convexUrl ?? "", ...(appDir !== undefined ? [appDir] : [])]
      : [kind],
    { execArgv: ["--expose-gc"], what: `${kind} server child` },
  );
  const published = new Map<number, (atMs: number) => void>();
  child.listen((message) => {
    if (message.type !== "published") return;
    published.get(message.value)?.(message.atMs);
    published.delete(message.value);
  });
  let statsQueue: Promise<unknown> = Promise.resolve();
  return {
    kind,
    url: ready.url,
    stats(gc = false) {
      // One request at a time: answers carry no id.
      const answer = statsQueue.then(async () => {
        const next = child.next("stats", ANSWER_TIMEOUT_MS);
        child.send({ type: "stats", gc });
        return (await next).stats;
      });
      statsQueue = answer.catch(() => {});
      return answer;
    },
    publish(value) {
      return new Promise<number>((resolve) => {
        published.set(value, resolve);
        child.send({ type: "publish", value });
      });
    },
    close: () => child.close(),
    [Symbol.asyncDispose]: () => child.close(),
  };
}

/**
 * When every subscriber had a value (or a newer one: a live query may skip values):
 * `monotonicMs()` of the first and the last subscriber to have it.
 */
export interface Delivery {
  readonly firstMs: number;
  readonly lastMs: number;
}

/** N subscribers spread over several child processes (graphql-ws or SSE). */
export interface SubscriberFleet extends AsyncDisposable {
  /** How many child processes hold the subscribers. */
  readonly processes: number;
  /**
   * Opens `count` subscribers of `query` at `url` over `transport`, spread evenly over the
   * processes, each process opening `batch` at a time; resolves with the ms taken.
   */
  connect(
    url: string,
    count: number,
    query: string,
    batch: number,
    transport: SubscriberTransport,
  ): Promise<number>;
  /** Resolves once every subscriber has `value` or a newer one, or with null after `timeoutMs`. */
  delivered(value: number, timeoutMs: number): Promise<Delivery | null>;
  /** How many subscribers have received exactly each of `values`. */
  counts(values: readonly number[]): Promise<readonly number[]>;
  /** Each process's load so far (totals since it started), in process order. */
  load(): Promise<readonly SubscribersLoad[]>;
  /** The problems the subscribers reported so far (see `gateway_subscribers_child.ts`). */
  readonly problems: readonly string[];
  close(): Promise<void>;
}

/** One subscribers child: its deliveries as they come. */
interface SubscribersProcess {
  readonly child: Child<SubscribersRequest, SubscribersMessage>;
  delivered(value: number, timeoutMs: number): Promise<Delivery | null>;
}

async function startSubscribersProcess(problems: string[]): Promise<SubscribersProcess> {
  const { child } = await forkChild<SubscribersRequest, SubscribersMessage>(
    "gateway_subscribers_child.ts",
    [],
    { what: "subscribers child" },
  );
  const deliveries = new Map<number, Delivery>();
  const waiting = new Map<number, (delivery: Delivery) => void>();
  child.listen((message) => {
    switch (message.type) {
      case "delivered": {
        const delivery = { firstMs: message.firstMs, lastMs: message.lastMs };
        deliveries.set(message.value, delivery);
        waiting.get(message.value)?.(delivery);
        waiting.delete(message.value);
        return;
      }
      case "problem":
        problems.push(message.message);
        return;
      default:
        return;
    }
  });
  return {
    child,
    delivered(value, timeoutMs) {
      const known = deliveries.get(value);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(value);
          resolve(null);
        }, timeoutMs);
        waiting.set(value, (delivery) => {
          clearTimeout(timer);
          resolve(delivery);
        });
      });
    },
  };
}

/** Starts `processes` subscriber children (none connected yet). */
export async function startSubscriberFleet(processes = 1): Promise<SubscriberFleet> {
  const problems: string[] = [];
  const started = await Promise.allSettled(
    Array.from({ length: processes }, () => startSubscribersProcess(problems)),
  );
  const children = started.flatMap((result) =>
    result.status === "fulfilled" ? [result.value] : [],
  );
  const close = async (): Promise<void> => {
    await Promise.all(children.map(({ child }) => child.close()));
  };
  const failed = started.find((result) => result.status === "rejected");
  if (failed !== undefined) {
    await close();
    throw failed.reason;
  }
  return {
    processes,
    problems,
    async connect(url, count, query, batch, transport) {
      const started = monotonicMs();
      await Promise.all(
        children.map(async ({ child }, i) => {
          // The first `count % processes` children take one more.
          const share = Math.floor(count / processes) + (i < count % processes ? 1 : 0);
          const connected = child.next("connected", Math.max(60_000, share * 60));
          child.send({ type: "connect", url, count: share, query, batch, transport });
          await connected;
        }),
      );
      return monotonicMs() - started;
    },
    async delivered(value, timeoutMs) {
      const each = await Promise.all(children.map((child) => child.delivered(value, timeoutMs)));
      if (each.some((delivery) => delivery === null)) return null;
      const deliveries = each as Delivery[];
      return {
        firstMs: Math.min(...deliveries.map((delivery) => delivery.firstMs)),
        lastMs: Math.max(...deliveries.map((delivery) => delivery.lastMs)),
      };
    },
    async counts(values) {
      const each = await Promise.all(
        children.map(async ({ child }) => {
          const answer = child.next("counts", ANSWER_TIMEOUT_MS);
          child.send({ type: "counts", values });
          return (await answer).counts;
        }),
      );
      return values.map((_, i) => each.reduce((sum, counts) => sum + (counts[i] ?? 0), 0));
    },
    load() {
      return Promise.all(
        children.map(async ({ child }) => {
          const answer = child.next("load", ANSWER_TIMEOUT_MS);
          child.send({ type: "load" });
          return (await answer).load;
        }),
      );
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
