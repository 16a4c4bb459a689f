/**
 * Upstream connections to Convex: one official `ConvexClient` (one WebSocket) per identity (the
 * anonymous one is shared), and one upstream query subscription per (identity, function,
 * arguments), shared by every reader. A client with no subscriptions left is closed after
 * `idleMs`.
 *
 * Warm queries: a subscription whose reader asked for it (`warmMs`, the one-off GraphQL queries)
 * stays subscribed that long after its last reader left, at most `maxWarm` of them holding at most
 * `maxWarmBytes` of results (estimated; the least
 * recently used goes first). The backend keeps it current by pushing every change, so the next
 * read of it is answered here, with no round trip.
 *
 * Freshness (`canRead`): a client's local results may answer a read when it is connected, its
 * token was accepted, and what it holds was synced on this connection at or after the write
 * watermark: the commit timestamp of the latest write this gateway made (through any identity).
 * A client's own mutations need nothing more: the official client resolves a mutation only once
 * its query results reflect it. The backend pushes to a connection only when one of its results
 * changes, so after another identity's write a client may stay behind the watermark with results
 * that are in fact current: an upstream read that finds exactly what the client holds vouches
 * for that operation's results (`vouch`) until the client's next Transition.
 *
 * A token the backend refuses (at once, or later because it expired) ends its client: readers
 * get an `AuthError`, which the gateway reports as UNAUTHENTICATED.
 */
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import { withTimeout } from "./timeout.ts";
import { estimateValueBytes } from "./value_size.ts";

export type UpstreamUpdate = { readonly value: unknown } | { readonly error: Error };

export interface UpstreamListener {
  (update: UpstreamUpdate): void;
}

interface SharedSubscription {
  readonly key: string;
  readonly listeners: Set<UpstreamListener>;
  latest: UpstreamUpdate | null;
  unsubscribe: () => void;
  /** The official client's own view of the result (undefined: it holds none). */
  currentValue: () => unknown;
  /** Set while untrusted (see `subscribe`): the last update the client handed over. */
  candidate: UpstreamUpdate | null;
  /** Stay subscribed until then (ms since epoch) once the last reader left. */
  warmUntil: number;
  warmTimer: NodeJS.Timeout | null;
  /** While warm: the estimated bytes of its result, counted in the pool's `warmBytes`. */
  warmBytes: number;
}

type AuthState = "pending" | "accepted" | "refused";

interface PooledClient {
  readonly key: string;
  readonly client: ConvexClient;
  readonly subscriptions: Map<string, SharedSubscription>;
  auth: AuthState;
  /** Resolves true when the backend accepted the token (or there is none), false when it refused it. */
  readonly authenticated: Promise<boolean>;
  readonly settleAuth: (accepted: boolean) => void;
  /** Mutations sent through it and not yet answered (a client with any is not idle). */
  inflight: number;
  idleTimer: NodeJS.Timeout | null;
  /** Timestamp of the last Transition received, and the connection it came on. */
  syncedTs: bigint | null;
  syncedConnection: number;
  /** Transitions received: two reads at the same count saw the same state of the client. */
  transitions: number;
  /**
   * `transitions` when its last subscription ended: the official client keeps the removed
   * results until the next Transition, so until then a new read may be answered from them.
   */
  transitionsAtLastRemoval: number;
  /**
   * Operations an upstream read vouched for since the last Transition (see `vouch`): the
   * watermark it covers, and the connection whose results it checked.
   */
  readonly vouched: Map<string, { readonly watermark: bigint; readonly connection: number }>;
  /** Subscriptions that may have been handed a result the client kept from before (see `subscribe`). */
  readonly untrusted: Set<SharedSubscription>;
}

/** Where a vouching read starts from (see `UpstreamPool.readMark`). */
export interface ReadMark {
  readonly pooled: PooledClient;
  readonly transitions: number;
  readonly connection: number;
  /** The write watermark when the read started: the read is at or after it. */
  readonly watermark: bigint;
}

/** One Convex query an upstream read made, and its result. */
export interface UpstreamRead {
  readonly path: string;
  readonly args: Record<string, Value>;
  readonly value: unknown;
}

/** What an upstream read of one operation did (for `UpstreamPool.vouch`). */
export interface UpstreamReadLog {
  readonly reads: UpstreamRead[];
  /** False once it called a mutation or an action (an SDL schema may bind a Query to one). */
  onlyQueries: boolean;
}

/** At most this many vouched operations per client between two Transitions. */
const MAX_VOUCHED = 1_000;

/** Whether the official client holds a result (a value, or an error) for `subscription`. */
function holdsResult(subscription: SharedSubscription): boolean {
  try {
    return subscription.currentValue() !== undefined;
  } catch {
    return true; // it holds an error result
  }
}

/** Estimated bytes of each result delivered (one estimate per delivered result). */
const resultSizes = new WeakMap<UpstreamUpdate, number>();

function resultBytes(update: UpstreamUpdate & { readonly value: unknown }): number {
  let bytes = resultSizes.get(update);
  if (bytes === undefined) resultSizes.set(update, (bytes = estimateValueBytes(update.value)));
  return bytes;
}

/** One upstream subscription per (function, arguments) of an identity. */
export function subscriptionKey(path: string, args: Record<string, Value>): string {
  return `${path}\u0000${JSON.stringify(convexToJson(args))}`;
}

/** What a new reader of a query gets back. */
export interface UpstreamSubscription {
  /** The result the client holds now, if any (the listener gets it again, asynchronously). */
  readonly latest: UpstreamUpdate | null;
  /** Stops reading. */
  readonly release: () => void;
}

/** How metrics group upstream connections: never by token or user. */
export type IdentityBucket = "anonymous" | "authenticated";

export interface UpstreamPoolOptions {
  /** Close a client this long after its last subscription ended. @default 10_000 // ms */
  readonly idleMs?: number;
  /** At most this many warm subscriptions (see the file comment). @default 1_000 */
  readonly maxWarm?: number;
  /** At most this many bytes of warm results (estimated). @default 67_108_864 (64 MiB) */
  readonly maxWarmBytes?: number;
  /** Gives the latest commit timestamp of the backend (used after a write of unknown timestamp). */
  readonly latestTimestamp?: () => Promise<bigint>;
  /** Called when the backend refuses a token (an expired one, say): its sockets should close. */
  readonly onTokenRefused?: (token: string) => void;
}

/**
 * The official client's timestamps (its vendored `Long`, halves stored as signed 32-bit numbers)
 * as an exact u64. (Its `toString()` is 2^32 too small whenever bit 31 is set.)
 */
function timestampOf(long: { readonly low: number; readonly high: number }): bigint {
  return (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
}

export class UpstreamPool {
  private readonly clients = new Map<string, PooledClient>();
  /** Warm subscriptions with no reader, oldest first. */
  private readonly warm = new Map<SharedSubscription, PooledClient>();
  private readonly idleMs: number;
  private readonly maxWarm: number;
  private readonly maxWarmBytes: number;
  /** Estimated bytes of the results of the warm subscriptions. */
  private warmBytes = 0;
  /** The latest commit timestamp of a write through this gateway that is known. */
  private knownWatermark = 0n;
  /** Writes of unknown timestamp completed so far, and how many of them a later read covers. */
  private unknownWrites = 0;
  private coveredWrites = 0;
  /** `unknownWrites` when the latest-timestamp read in flight started, or null. */
  private refreshCovering: number | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly options: UpstreamPoolOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 10_000;
    this.maxWarm = options.maxWarm ?? 1_000;
    this.maxWarmBytes = options.maxWarmBytes ?? 64 * 1024 * 1024;
  }

  /** Upstream query subscriptions with at least one reader (a live operation or a read in progress). */
  get subscriptionCount(): number {
    let count = 0;
    for (const pooled of this.clients.values()) count += pooled.subscriptions.size;
    return count - this.warm.size;
  }

  /** Estimated bytes of the results held by warm subscriptions. */
  get warmResultBytes(): number {
    return this.warmBytes;
  }

  /** Upstream query subscriptions kept only because a recent query read them. */
  get warmCount(): number {
    return this.warm.size;
  }

  /** Number of open upstream connections (ConvexClients). */
  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Open upstream connections and their query subscriptions (warm ones included), per identity
   * bucket: the anonymous client, and all authenticated ones together (never per token).
   */
  identityStats(): Record<IdentityBucket, { connections: number; subscriptions: number }> {
    const stats = {
      anonymous: { connections: 0, subscriptions: 0 },
      authenticated: { connections: 0, subscriptions: 0 },
    };
    for (const pooled of this.clients.values()) {
      const bucket = stats[pooled.key === "" ? "anonymous" : "authenticated"];
      bucket.connections++;
      bucket.subscriptions += pooled.subscriptions.size;
    }
    return stats;
  }

  private pooled(token: string | null): PooledClient {
    const key = token ?? "";
    const existing = this.clients.get(key);
    if (existing !== undefined) {
      // In use again: whoever ends this use schedules the idle close anew.
      if (existing.idleTimer !== null) clearTimeout(existing.idleTimer);
      existing.idleTimer = null;
      return existing;
    }
    if (this.closed) throw new Error("The upstream pool is closed.");
    const client = new ConvexClient(this.url, { logger: false, unsavedChangesWarning: false });
    let settleAuth: (accepted: boolean) => void = () => {};
    const authenticated =
      token === null
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            settleAuth = resolve;
          });
    const pooled: PooledClient = {
      key,
      client,
      subscriptions: new Map(),
      auth: token === null ? "accepted" : "pending",
      authenticated,
      settleAuth: (accepted) => settleAuth(accepted),
      inflight: 0,
      idleTimer: null,
      syncedTs: null,
      syncedConnection: -1,
      transitions: 0,
      transitionsAtLastRemoval: -1,
      vouched: new Map(),
      untrusted: new Set(),
    };
    if (token !== null) {
      client.setAuth(
        () => Promise.resolve(token),
        (accepted) => {
          if (accepted) {
            pooled.auth = "accepted";
            pooled.settleAuth(true);
            this.scheduleIdleClose(pooled);
            return;
          }
          // Refused now, or expired in use: the official client would go on anonymously.
          pooled.auth = "refused";
          pooled.settleAuth(false);
          this.refuse(pooled, token);
        },
      );
    }
    client.client.addOnTransitionHandler((transition) => {
      pooled.transitions++;
      if (pooled.vouched.size > 0) pooled.vouched.clear();
      if (pooled.untrusted.size > 0) this.settleUntrusted(pooled);
      pooled.syncedTs = timestampOf(transition.timestamp);
      pooled.syncedConnection = client.connectionState().connectionCount;
    });
    this.clients.set(key, pooled);
    this.scheduleIdleClose(pooled);
    return pooled;
  }

  /**
   * Ends a client: its readers get `error` (if given), a pending token check answers "refused",
   * its subscriptions and socket close.
   */
  private drop(pooled: PooledClient, error: Error | null): Promise<void> {
    if (this.clients.get(pooled.key) === pooled) this.clients.delete(pooled.key);
    if (pooled.idleTimer !== null) clearTimeout(pooled.idleTimer);
    pooled.idleTimer = null;
    pooled.settleAuth(false);
    for (const subscription of pooled.subscriptions.values()) {
      this.unwarm(subscription);
      if (error === null) continue;
      subscription.latest = { error };
      for (const listener of [...subscription.listeners]) listener({ error });
    }
    pooled.subscriptions.clear();
    return pooled.client.close();
  }

  /** The backend refused `token`: its readers get an AuthError, its client and sockets close. */
  private refuse(pooled: PooledClient | undefined, token: string): void {
    if (pooled !== undefined) {
      pooled.auth = "refused";
      const refused = Object.assign(new Error("AuthError: the token was refused or has expired."), {
        code: "Unauthenticated",
      });
      void this.drop(pooled, refused);
    }
    this.options.onTokenRefused?.(token);
  }

  /** An upstream HTTP call with `token` was refused (the token expired, say). */
  tokenRefused(token: string): void {
    this.refuse(this.clients.get(token), token);
  }

  /** Nothing uses it: no subscription, no mutation in flight, no token check pending. */
  private isIdle(pooled: PooledClient): boolean {
    return pooled.subscriptions.size === 0 && pooled.inflight === 0 && pooled.auth !== "pending";
  }

  /** Closes `pooled` after `idleMs` if it is idle then (whoever ends its last use calls this). */
  private scheduleIdleClose(pooled: PooledClient): void {
    if (
      !this.isIdle(pooled) ||
      pooled.idleTimer !== null ||
      this.clients.get(pooled.key) !== pooled
    )
      return;
    pooled.idleTimer = setTimeout(() => {
      pooled.idleTimer = null;
      if (this.isIdle(pooled) && this.clients.get(pooled.key) === pooled)
        void this.drop(pooled, null);
    }, this.idleMs);
    pooled.idleTimer.unref();
  }

  /**
   * Whether the backend accepts `token`: "unavailable" when it has not answered within
   * `timeoutMs` (it may be unreachable).
   */
  async verify(token: string, timeoutMs: number): Promise<"accepted" | "refused" | "unavailable"> {
    let pooled: PooledClient;
    try {
      pooled = this.pooled(token);
    } catch {
      return "unavailable"; // shutting down
    }
    try {
      const accepted = await withTimeout(pooled.authenticated, timeoutMs, "The token check");
      return accepted ? "accepted" : "refused";
    } catch {
      // No answer in time: the client stays pending (and open) until the backend answers.
      return "unavailable";
    } finally {
      this.scheduleIdleClose(pooled);
    }
  }

  /**
   * Opens `token`'s client if it has none (the gateway calls this once a request with the token
   * succeeded upstream, so a refused token never costs a connection).
   */
  prepare(token: string | null): void {
    if (this.closed || this.clients.has(token ?? "")) return;
    this.pooled(token);
  }

  /**
   * True when `token`'s client may answer a read from what it holds (see the file comment);
   * `operation` names the operation, for reads an upstream read vouched for.
   */
  canRead(token: string | null, operation?: () => string): boolean {
    const pooled = this.ready(token);
    if (pooled === null) return false;
    if (this.coveredWrites < this.unknownWrites) {
      this.refreshWatermark();
      return false;
    }
    // Nothing held, and the results it held are gone (a Transition came after its last
    // subscription ended): every result it reads arrives new, at the backend's latest timestamp.
    if (pooled.subscriptions.size === 0 && pooled.transitions > pooled.transitionsAtLastRemoval) {
      return true;
    }
    if (
      pooled.syncedTs !== null &&
      pooled.syncedConnection === pooled.client.connectionState().connectionCount &&
      pooled.syncedTs >= this.knownWatermark
    ) {
      return true;
    }
    // Named only now: naming an operation costs a digest, which the rules above spare.
    const vouched =
      operation === undefined || pooled.vouched.size === 0
        ? undefined
        : pooled.vouched.get(operation());
    return (
      vouched !== undefined &&
      vouched.watermark >= this.knownWatermark &&
      vouched.connection === pooled.client.connectionState().connectionCount
    );
  }

  /**
   * Marks the state of `token`'s client before an upstream read that may vouch for it; null when
   * there is nothing to vouch for (no ready client holding results, or an unknown watermark).
   */
  readMark(token: string | null): ReadMark | null {
    const pooled = this.ready(token);
    if (pooled === null || pooled.subscriptions.size === 0) return null;
    if (this.coveredWrites < this.unknownWrites) return null;
    return {
      pooled,
      transitions: pooled.transitions,
      connection: pooled.client.connectionState().connectionCount,
      watermark: this.knownWatermark,
    };
  }

  /**
   * An upstream read of `operation`, started after `mark` (so at a timestamp at or after the
   * mark's watermark), found `reads`. If the client holds exactly these results and received no
   * Transition since the mark, its results for the operation are the backend's at that
   * timestamp: it may answer the operation until its next Transition (or a later write).
   */
  vouch(mark: ReadMark, operation: string, reads: readonly UpstreamRead[]): void {
    const { pooled } = mark;
    if (reads.length === 0 || this.clients.get(pooled.key) !== pooled) return;
    if (pooled.transitions !== mark.transitions) return;
    if (pooled.client.connectionState().connectionCount !== mark.connection) return;
    for (const read of reads) {
      const latest = pooled.subscriptions.get(subscriptionKey(read.path, read.args))?.latest;
      if (latest === null || latest === undefined || !("value" in latest)) return;
      const held = JSON.stringify(convexToJson(latest.value as Value));
      if (held !== JSON.stringify(convexToJson(read.value as Value))) return;
    }
    if (pooled.vouched.size >= MAX_VOUCHED) pooled.vouched.clear();
    pooled.vouched.set(operation, { watermark: mark.watermark, connection: mark.connection });
  }

  /** True when a mutation can go through `token`'s client (connected, token accepted). */
  canWrite(token: string | null): boolean {
    return this.ready(token) !== null;
  }

  /** `token`'s client when it is open, connected and its token accepted. */
  private ready(token: string | null): PooledClient | null {
    if (this.closed) return null;
    const pooled = this.clients.get(token ?? "");
    if (pooled === undefined || pooled.auth !== "accepted") return null;
    return pooled.client.connectionState().isWebSocketConnected ? pooled : null;
  }

  /** Transitions `token`'s client has received so far (see `PooledClient.transitions`). */
  transitionCount(token: string | null): number {
    return this.clients.get(token ?? "")?.transitions ?? -1;
  }

  /**
   * Runs a mutation through `token`'s client and raises the write watermark to its commit
   * timestamp. Rejects after `timeoutMs` (the mutation may still commit: the client retries it on
   * a new connection, exactly once).
   */
  async mutation(
    token: string | null,
    path: string,
    args: Record<string, Value>,
    timeoutMs: number,
  ): Promise<unknown> {
    const pooled = this.pooled(token);
    pooled.inflight++;
    const pending = pooled.client.mutation(makeFunctionReference<"mutation">(path), args);
    // Its results are reflected once it resolves, so the client's observed timestamp covers it;
    // one that outlives the timeout still raises the watermark when it lands.
    const settled = pending.finally(() => {
      pooled.inflight--;
      const observed = pooled.client.client.getMaxObservedTimestamp();
      if (observed !== undefined) this.raiseWatermark(timestampOf(observed));
      this.scheduleIdleClose(pooled);
    });
    return await withTimeout(settled, timeoutMs, `Mutation ${path}`);
  }

  private raiseWatermark(ts: bigint): void {
    if (ts > this.knownWatermark) this.knownWatermark = ts;
  }

  /**
   * A write whose commit timestamp the gateway did not see (an action, a mutation over HTTP)
   * has completed: nothing is read locally until a read of the backend's latest timestamp that
   * started after it has raised the watermark.
   */
  afterWriteOfUnknownTimestamp(): void {
    this.unknownWrites++;
    this.refreshWatermark();
  }

  /** Reads the latest timestamp unless a read that covers every write so far is in flight. */
  private refreshWatermark(): void {
    const latestTimestamp = this.options.latestTimestamp;
    if (latestTimestamp === undefined || this.refreshCovering === this.unknownWrites) return;
    const covering = this.unknownWrites;
    this.refreshCovering = covering;
    latestTimestamp().then(
      (ts) => {
        // At or after every write completed before the read started.
        this.raiseWatermark(ts);
        if (covering > this.coveredWrites) this.coveredWrites = covering;
        if (this.refreshCovering === covering) this.refreshCovering = null;
      },
      () => {
        // Still unknown: the next read that wants the cache asks again.
        if (this.refreshCovering === covering) this.refreshCovering = null;
      },
    );
  }

  /**
   * Watches a Convex query for `token`'s identity. The listener gets the current result (at once
   * if known, asynchronously) and every new one. `warmMs`: keep the upstream subscription that long
   * after this reader releases it (0: as soon as the last reader leaves).
   */
  subscribe(
    token: string | null,
    path: string,
    args: Record<string, Value>,
    listener: UpstreamListener,
    warmMs = 0,
  ): UpstreamSubscription {
    const pooled = this.pooled(token);
    const key = subscriptionKey(path, args);
    let shared = pooled.subscriptions.get(key);
    if (shared === undefined) {
      const created: SharedSubscription = {
        key,
        listeners: new Set(),
        latest: null,
        unsubscribe: () => {},
        currentValue: () => undefined,
        candidate: null,
        warmUntil: 0,
        warmTimer: null,
        warmBytes: 0,
      };
      const deliver = (update: UpstreamUpdate): void => {
        if (pooled.untrusted.has(created)) {
          created.candidate = update;
          return;
        }
        created.latest = update;
        if (created.warmTimer !== null) this.countWarmBytes(created);
        for (const each of [...created.listeners]) each(update);
      };
      const unsubscribe = pooled.client.onUpdate(
        makeFunctionReference<"query">(path),
        args,
        (value) => deliver({ value }),
        (error) => deliver({ error }),
      );
      created.unsubscribe = unsubscribe;
      created.currentValue = () => unsubscribe.getCurrentValue();
      // A query subscribed again before the Transition answering its removal: the official client
      // still holds the old result and hands it over (no Transition), and a Transition computed
      // before the server saw the new subscription then drops it without a word. Such a result
      // is not this subscription's: it counts only from the first Transition on.
      if (holdsResult(created)) pooled.untrusted.add(created);
      pooled.subscriptions.set(key, created);
      shared = created;
    } else if (shared.warmTimer !== null) {
      this.unwarm(shared);
    }
    const subscription = shared;
    subscription.listeners.add(listener);
    const latest = subscription.latest;
    if (latest !== null) {
      queueMicrotask(() => {
        if (subscription.listeners.has(listener)) listener(latest);
      });
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      subscription.listeners.delete(listener);
      if (warmMs > 0)
        subscription.warmUntil = Math.max(subscription.warmUntil, Date.now() + warmMs);
      if (subscription.listeners.size > 0 || pooled.subscriptions.get(key) !== subscription) return;
      const warmFor = subscription.warmUntil - Date.now();
      if (warmFor > 0 && !this.closed) this.keepWarm(pooled, subscription, warmFor);
      else this.end(pooled, subscription);
    };
    return { latest, release };
  }

  /**
   * After a Transition: an untrusted subscription whose result the client still holds got it in
   * this Transition (a kept result is dropped by the first one); else it waits for its first.
   */
  private settleUntrusted(pooled: PooledClient): void {
    for (const subscription of [...pooled.untrusted]) {
      pooled.untrusted.delete(subscription);
      const candidate = subscription.candidate;
      subscription.candidate = null;
      if (candidate === null || !holdsResult(subscription)) continue;
      subscription.latest = candidate;
      for (const each of [...subscription.listeners]) each(candidate);
    }
  }

  private keepWarm(pooled: PooledClient, subscription: SharedSubscription, forMs: number): void {
    this.warm.set(subscription, pooled);
    subscription.warmTimer = setTimeout(() => this.end(pooled, subscription), forMs);
    subscription.warmTimer.unref();
    this.countWarmBytes(subscription);
    this.evictWarm();
  }

  /** Ends the least recently used warm subscriptions until both bounds hold. */
  private evictWarm(): void {
    for (const [oldest, owner] of this.warm) {
      if (this.warm.size <= this.maxWarm && this.warmBytes <= this.maxWarmBytes) break;
      this.end(owner, oldest);
    }
  }

  /** Re-estimates a warm subscription's result (estimates are memoised per result). */
  private countWarmBytes(subscription: SharedSubscription): void {
    const latest = subscription.latest;
    const bytes = latest !== null && "value" in latest ? resultBytes(latest) : 0;
    this.warmBytes += bytes - subscription.warmBytes;
    subscription.warmBytes = bytes;
    if (this.warmBytes > this.maxWarmBytes) queueMicrotask(() => this.evictWarm());
  }

  /** A warm subscription in use again (or ending): no longer warm. */
  private unwarm(subscription: SharedSubscription): void {
    if (subscription.warmTimer !== null) clearTimeout(subscription.warmTimer);
    subscription.warmTimer = null;
    this.warm.delete(subscription);
    this.warmBytes -= subscription.warmBytes;
    subscription.warmBytes = 0;
  }

  private end(pooled: PooledClient, subscription: SharedSubscription): void {
    this.unwarm(subscription);
    if (pooled.subscriptions.get(subscription.key) !== subscription) return;
    subscription.unsubscribe();
    pooled.subscriptions.delete(subscription.key);
    pooled.untrusted.delete(subscription);
    pooled.transitionsAtLastRemoval = pooled.transitions;
    this.scheduleIdleClose(pooled);
  }

  /** Closes every upstream connection; reads in progress fail at once. */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    const closing = clients.map((pooled) =>
      this.drop(pooled, new Error("The gateway is shutting down.")),
    );
    this.warm.clear();
    this.warmBytes = 0;
    await Promise.all(closing);
  }
}
