/**
 * Upstream connections to Convex for live operations: one official `ConvexClient` (one
 * WebSocket) per identity (the anonymous one is shared), and one upstream query subscription per
 * (identity, function, arguments), shared by every live operation that reads it. A client with no
 * subscriptions left is closed after `idleMs`.
 *
 * A client's token is confirmed by the backend (`setAuth`'s onChange); `verify` waits for that,
 * so the gateway can refuse a bad token up front.
 */
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { convexToJson, type Value } from "convex/values";

export type UpstreamUpdate = { readonly value: unknown } | { readonly error: Error };

export interface UpstreamListener {
  (update: UpstreamUpdate): void;
}

interface SharedSubscription {
  readonly key: string;
  readonly listeners: Set<UpstreamListener>;
  latest: UpstreamUpdate | null;
  unsubscribe: () => void;
}

interface PooledClient {
  readonly client: ConvexClient;
  readonly subscriptions: Map<string, SharedSubscription>;
  /** Resolves true when the backend accepted the token (or there is none), false when it refused it. */
  readonly authenticated: Promise<boolean>;
  idleTimer: NodeJS.Timeout | null;
}

export interface UpstreamPoolOptions {
  /** Close a client this long after its last subscription ended. @default 10_000 // ms */
  readonly idleMs?: number;
}

export class UpstreamPool {
  private readonly clients = new Map<string, PooledClient>();
  private readonly idleMs: number;
  private closed = false;

  constructor(
    private readonly url: string,
    options: UpstreamPoolOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 10_000;
  }

  /** Number of live upstream query subscriptions, across identities. */
  get subscriptionCount(): number {
    let count = 0;
    for (const pooled of this.clients.values()) count += pooled.subscriptions.size;
    return count;
  }

  /** Number of open upstream connections (ConvexClients). */
  get clientCount(): number {
    return this.clients.size;
  }

  private pooled(token: string | null): PooledClient {
    const key = token ?? "";
    let pooled = this.clients.get(key);
    if (pooled !== undefined) {
      if (pooled.idleTimer !== null) {
        clearTimeout(pooled.idleTimer);
        pooled.idleTimer = null;
      }
      return pooled;
    }
    if (this.closed) throw new Error("The upstream pool is closed.");
    const client = new ConvexClient(this.url, { logger: false, unsavedChangesWarning: false });
    let authenticated: Promise<boolean> = Promise.resolve(true);
    if (token !== null) {
      authenticated = new Promise<boolean>((resolve) => {
        client.setAuth(
          () => Promise.resolve(token),
          (isAuthenticated) => resolve(isAuthenticated),
        );
      });
    }
    pooled = { client, subscriptions: new Map(), authenticated, idleTimer: null };
    this.clients.set(key, pooled);
    this.scheduleIdleClose(key, pooled);
    return pooled;
  }

  private scheduleIdleClose(key: string, pooled: PooledClient): void {
    if (pooled.subscriptions.size > 0 || pooled.idleTimer !== null) return;
    pooled.idleTimer = setTimeout(() => {
      if (pooled.subscriptions.size > 0 || this.clients.get(key) !== pooled) return;
      this.clients.delete(key);
      void pooled.client.close();
    }, this.idleMs);
    pooled.idleTimer.unref();
  }

  /** True when the backend accepts `token` (waits for its answer). */
  async verify(token: string): Promise<boolean> {
    const pooled = this.pooled(token);
    const ok = await pooled.authenticated;
    if (!ok) {
      // A refused token's client is useless: drop it now.
      if (this.clients.get(token) === pooled) this.clients.delete(token);
      if (pooled.idleTimer !== null) clearTimeout(pooled.idleTimer);
      void pooled.client.close();
    }
    return ok;
  }

  /**
   * Watches a Convex query for `token`'s identity. The listener gets the current result (at once
   * if known) and every new one. Returns the function that stops watching.
   */
  subscribe(
    token: string | null,
    path: string,
    args: Record<string, Value>,
    listener: UpstreamListener,
  ): () => void {
    const pooled = this.pooled(token);
    const key = `${path}\u0000${JSON.stringify(convexToJson(args))}`;
    let shared = pooled.subscriptions.get(key);
    if (shared === undefined) {
      const created: SharedSubscription = {
        key,
        listeners: new Set(),
        latest: null,
        unsubscribe: () => {},
      };
      const deliver = (update: UpstreamUpdate): void => {
        created.latest = update;
        for (const each of [...created.listeners]) each(update);
      };
      created.unsubscribe = pooled.client.onUpdate(
        makeFunctionReference<"query">(path),
        args,
        (value) => deliver({ value }),
        (error) => deliver({ error }),
      );
      pooled.subscriptions.set(key, created);
      shared = created;
    }
    const subscription = shared;
    subscription.listeners.add(listener);
    if (subscription.latest !== null) {
      const latest = subscription.latest;
      queueMicrotask(() => {
        if (subscription.listeners.has(listener)) listener(latest);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      subscription.listeners.delete(listener);
      if (subscription.listeners.size > 0) return;
      subscription.unsubscribe();
      pooled.subscriptions.delete(key);
      this.scheduleIdleClose(token ?? "", pooled);
    };
  }

  /** Closes every upstream connection. */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const pooled of clients) if (pooled.idleTimer !== null) clearTimeout(pooled.idleTimer);
    await Promise.all(clients.map((pooled) => pooled.client.close()));
  }
}
