/**
 * What graceful shutdown waits for: HTTP requests being answered (except SSE streams, which
 * never end by themselves) and GraphQL executions in progress on any transport (a mutation over
 * graphql-ws included). Subscriptions and `@live` queries count only while they start.
 *
 *   open --startDrain--> draining --nothing in flight, or the bound passed--> drained
 */
import type http from "node:http";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { WebSocketServer } from "ws";
import { CLOSE_CODES } from "./close_codes.ts";

export class Drain {
  private requests = 0;
  private executions = 0;
  private waiters: (() => void)[] = [];
  private draining = false;

  /** True once shutdown started. */
  get closing(): boolean {
    return this.draining;
  }

  /** HTTP requests and executions in progress (SSE streams not counted). */
  get inFlight(): number {
    return this.requests + this.executions;
  }

  /**
   * Counts every request but streams (SSE, `Accept: text/event-stream`, and Apollo's multipart
   * subscriptions, `subscriptionSpec=1.0`) until its response closes.
   */
  listener(next: http.RequestListener): http.RequestListener {
    return (req, res) => {
      if (!/text\/event-stream|subscriptionSpec/i.test(req.headers.accept ?? "")) {
        this.requests++;
        res.once("close", () => this.settle(() => this.requests--));
      }
      next(req, res);
    };
  }

  /**
   * A Yoga plugin counting executions, from their start to their result. Its hooks are the same
   * objects for every operation (a subscription keeps them as long as it lives).
   */
  plugin(): Plugin {
    /** Executions started and not yet done, counted by their arguments (each is done once). */
    const running = new WeakMap<object, number>();
    const start = (args: object): void => {
      running.set(args, (running.get(args) ?? 0) + 1);
      this.executions++;
    };
    const done = ({ args }: { args: object }): void => {
      const count = running.get(args) ?? 0;
      if (count === 0) return;
      if (count === 1) running.delete(args);
      else running.set(args, count - 1);
      this.settle(() => this.executions--);
    };
    const executeDone = { onExecuteDone: done };
    const subscribeDone = { onSubscribeResult: done };
    return {
      onExecute({ args }) {
        start(args);
        return executeDone;
      },
      onSubscribe({ args }) {
        start(args);
        return subscribeDone;
      },
    };
  }

  private settle(change: () => void): void {
    change();
    if (this.inFlight === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /**
   * Starts draining; resolves true once nothing is in flight (after one more turn of the event
   * loop, so results already computed reach their sockets), false when `timeoutMs` passed first.
   */
  async drained(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<true>((resolve) => {
      if (this.inFlight === 0) resolve(true);
      else this.waiters.push(() => resolve(true));
    });
    const bound = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      const done = await Promise.race([idle, bound]);
      await new Promise((resolve) => setImmediate(resolve));
      return done;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The gateway's graceful close of its listeners: stops accepting (keep-alive connections with
 * nothing in flight go at once), waits for `drain` (at most `timeoutMs`), then closes graphql-ws
 * sockets with 1001 (clients reconnect and resubscribe) and every remaining connection (SSE
 * streams); resolves once the server is closed.
 */
export async function drainThenClose(
  server: http.Server,
  wss: WebSocketServer,
  drain: Drain,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const inFlight = drain.inFlight;
  if (!(await drain.drained(timeoutMs))) {
    logger.warn({ inFlight: drain.inFlight, timeoutMs }, "shutdown: gave up waiting for requests");
  } else if (inFlight > 0) {
    logger.info({ inFlight }, "shutdown: in-flight requests finished");
  }
  for (const client of wss.clients) client.close(CLOSE_CODES.goingAway, "Gateway shutting down");
  wss.close();
  server.closeAllConnections();
  await serverClosed;
}
