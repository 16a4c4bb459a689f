/**
 * Subscriptions of a merged API that speaks graphql-ws (`graphql-transport-ws` on its URL): one
 * lazy graphql-ws client per caller token (a socket carries one identity), closed 10 s after its
 * last subscription ended. Which protocol an API speaks is found once, when its schema loads
 * (`speaksGraphqlWs`); one that does not answer the handshake gets SSE (executor-http) instead.
 */
import { buildGraphQLWSExecutor } from "@graphql-tools/executor-graphql-ws";
import type { DisposableAsyncExecutor } from "@graphql-tools/utils";
import WebSocket from "ws";

/** `http(s)://host/path` -> `ws(s)://host/path`. */
export function webSocketUrl(url: string): string {
  return url.replace(/^http/, "ws");
}

/** True when `url` accepts a graphql-ws connection (it acknowledges `connection_init`). */
export function speaksGraphqlWs(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(webSocketUrl(url), "graphql-transport-ws");
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.terminate();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as { type?: unknown };
      done(message.type === "connection_ack");
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
    socket.on("unexpected-response", () => done(false));
  });
}

/** Tokens with an executor kept (the oldest is disposed past this). */
const MAX_TOKENS = 1_000;

/** graphql-ws executors of one merged API, one per caller token. */
export class WsSubscriptions {
  private readonly executors = new Map<string, DisposableAsyncExecutor>();

  constructor(private readonly url: string) {}

  /** The executor for `token`'s subscriptions (its token in the upgrade and in connectionParams). */
  for(token: string | null): DisposableAsyncExecutor {
    const key = token ?? "";
    let executor = this.executors.get(key);
    if (executor === undefined) {
      const authorization = token === null ? {} : { authorization: `Bearer ${token}` };
      executor = buildGraphQLWSExecutor({
        url: webSocketUrl(this.url),
        headers: authorization,
        connectionParams: authorization,
        lazy: true,
        lazyCloseTimeout: 10_000,
      });
      this.executors.set(key, executor);
      if (this.executors.size > MAX_TOKENS) this.disposeOldest();
    }
    return executor;
  }

  private disposeOldest(): void {
    const [oldestKey, oldest] = this.executors.entries().next().value ?? [];
    if (oldestKey === undefined || oldest === undefined) return;
    this.executors.delete(oldestKey);
    void oldest[Symbol.asyncDispose]();
  }

  async close(): Promise<void> {
    const executors = [...this.executors.values()];
    this.executors.clear();
    await Promise.all(executors.map((executor) => executor[Symbol.asyncDispose]()));
  }
}
