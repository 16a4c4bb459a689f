/**
 * The gateway's way to Convex: one upstream session per identity (session.ts; the anonymous one
 * is shared), opened by the first successful call of that identity and closed when idle. Every
 * GraphQL operation reads through the access `access()` hands out, which decides between the
 * session's pushed results (warm_read.ts) and an upstream call (http_access.ts), see
 * operation_access.ts; live operations subscribe through `subscribe()`.
 *
 * A token the backend refuses (at once, or later because it expired) ends its session; listeners
 * of `onTokenRefused` hear of it (the server closes that token's sockets).
 */
import type { Value } from "convex/values";
import type { ConvexAccess } from "../context.ts";
import { httpConvexAccess, type HttpAccessHost, type ReadLog } from "./http_access.ts";
import { refusedError, UpstreamSession } from "./session.ts";
import type { UpstreamListener, UpstreamSubscription } from "./shared_queries.ts";
import { WarmQueries } from "./warm_queries.ts";
import { operationAccess, type AccessHost, type OperationRequest } from "./operation_access.ts";
import { ReusedResults } from "./reused_results.ts";
import type { OperationAccess } from "./warm_read.ts";
import { WriteWatermark } from "./write_watermark.ts";

/** How metrics group upstream connections: never by token or user. */
export type IdentityBucket = "anonymous" | "authenticated";

export interface UpstreamOptions {
  /** Close a session this long after its last use. @default 10_000 // ms */
  readonly idleMs?: number;
  /** At most this many warm queries. @default 1_000 */
  readonly maxWarm?: number;
  /**
   * At most this many bytes of warm results (estimated), and half as many of one-off results kept
   * for identical repeats. @default 67_108_864 (64 MiB)
   */
  readonly maxWarmBytes?: number;
  /** Reads the backend's latest commit timestamp (after a write of unknown timestamp). */
  readonly latestTimestamp?: () => Promise<bigint>;
  /** How long one upstream call may take. @default 30_000 // ms */
  readonly timeoutMs?: number;
}

export class UpstreamSessions {
  private readonly sessions = new Map<string, UpstreamSession>();
  private readonly refusedListeners = new Set<(token: string) => void>();
  readonly watermark: WriteWatermark;
  readonly warm: WarmQueries;
  /** One-off query results an identical repeat may take instead of executing. */
  private readonly reused: ReusedResults;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly options: UpstreamOptions = {},
  ) {
    this.watermark = new WriteWatermark(options.latestTimestamp);
    const maxWarmBytes = options.maxWarmBytes ?? 64 * 1024 ** 2;
    this.warm = new WarmQueries(options.maxWarm ?? 1_000, maxWarmBytes);
    this.reused = new ReusedResults(maxWarmBytes / 2);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Calls `listener` with each token the backend refuses; returns how to stop. */
  onTokenRefused(listener: (token: string) => void): () => void {
    this.refusedListeners.add(listener);
    return () => this.refusedListeners.delete(listener);
  }

  /** The identity's session, opened if needed. @throws once closed */
  session(token: string | null): UpstreamSession {
    const existing = this.sessions.get(token ?? "");
    if (existing !== undefined) return existing.touch();
    if (this.closed) throw new Error("The gateway is shutting down.");
    const session = new UpstreamSession(token, {
      url: this.url,
      idleMs: this.options.idleMs ?? 10_000,
      watermark: this.watermark,
      warm: this.warm,
      ended: (ended, refused) => {
        if (this.sessions.get(token ?? "") === ended) this.sessions.delete(token ?? "");
        if (refused && token !== null)
          for (const listener of this.refusedListeners) listener(token);
      },
    });
    this.sessions.set(token ?? "", session);
    return session;
  }

  /** The identity's session when it is ready (connected, token accepted). */
  private ready(token: string | null): UpstreamSession | null {
    if (this.closed) return null;
    const session = this.sessions.get(token ?? "");
    return session !== undefined && session.connection.ready ? session : null;
  }

  /**
   * The access one non-live operation reads and writes through (operation_access.ts);
   * `upstream`: its last attempt asked to read upstream (warm_read.ts `Finish`).
   */
  access(request: OperationRequest, attempt = 0, upstream = false): OperationAccess {
    const host: AccessHost = {
      ready: (token) => this.ready(token),
      httpAccess: (log) => this.httpAccess(request, log),
      timeoutMs: this.timeoutMs,
      reused: this.reused,
      ...(this.options.latestTimestamp !== undefined
        ? { latestTimestamp: this.options.latestTimestamp }
        : {}),
    };
    return operationAccess(host, request, attempt, upstream);
  }

  private httpAccess(request: OperationRequest, log?: ReadLog): ConvexAccess {
    const { token } = request;
    const host: HttpAccessHost = {
      sessionMutation: (path, args) =>
        this.ready(token)?.mutation(path, args, this.timeoutMs) ?? null,
      wroteAtUnknownTimestamp: () => this.watermark.afterWriteOfUnknownTimestamp(),
      succeeded: () => {
        if (!this.closed && !this.sessions.has(token ?? "")) this.session(token);
      },
      refused: () => this.tokenRefused(token),
    };
    return httpConvexAccess(
      {
        url: this.url,
        token,
        timeoutMs: this.timeoutMs,
        ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
        ...(log !== undefined ? { log } : {}),
      },
      host,
    );
  }

  /** The backend refused `token` on a call: its session ends, its listeners hear of it. */
  private tokenRefused(token: string | null): void {
    if (token === null) return;
    const session = this.sessions.get(token);
    if (session !== undefined) void session.end(refusedError(), true);
    else for (const listener of this.refusedListeners) listener(token);
  }

  /** Watches a Convex query for `token`'s identity (see SharedQueries.subscribe). */
  subscribe(
    token: string | null,
    path: string,
    args: Record<string, Value>,
    listener: UpstreamListener,
    warmMs = 0,
  ): UpstreamSubscription {
    return this.session(token).subscribe(path, args, listener, warmMs);
  }

  /** Whether the backend accepts `token`: "unavailable" when it did not answer in time. */
  verify(token: string, timeoutMs: number): Promise<"accepted" | "refused" | "unavailable"> {
    if (this.closed) return Promise.resolve("unavailable");
    return this.session(token).verify(timeoutMs);
  }

  /** True when `token`'s session may answer a read from its pushed results. */
  canRead(token: string | null, operation?: () => string): boolean {
    return this.ready(token)?.canRead(operation) ?? false;
  }

  /** True when a mutation can go through `token`'s session. */
  canWrite(token: string | null): boolean {
    return this.ready(token) !== null;
  }

  /** Transitions `token`'s session has received (-1: it has none). */
  transitionCount(token: string | null): number {
    return this.sessions.get(token ?? "")?.transitions ?? -1;
  }

  /** Upstream query subscriptions with at least one reader. */
  get subscriptionCount(): number {
    let count = 0;
    for (const session of this.sessions.values()) count += session.queries.size;
    return count - this.warm.count;
  }

  get warmCount(): number {
    return this.warm.count;
  }

  get warmResultBytes(): number {
    return this.warm.bytes;
  }

  /** One-off queries answered with a kept result (reused_results.ts), and the bytes kept. */
  get reusedResults(): { readonly hits: number; readonly bytes: number } {
    return { hits: this.reused.hits, bytes: this.reused.bytes };
  }

  /** Open upstream connections (one per session). */
  get clientCount(): number {
    return this.sessions.size;
  }

  /** Connections and subscriptions per identity bucket (never per token). */
  identityStats(): Record<IdentityBucket, { connections: number; subscriptions: number }> {
    const stats = {
      anonymous: { connections: 0, subscriptions: 0 },
      authenticated: { connections: 0, subscriptions: 0 },
    };
    for (const session of this.sessions.values()) {
      const bucket = stats[session.token === null ? "anonymous" : "authenticated"];
      bucket.connections++;
      bucket.subscriptions += session.queries.size;
    }
    return stats;
  }

  /** Ends every session; reads in progress fail at once. */
  async close(): Promise<void> {
    this.closed = true;
    const ending = [...this.sessions.values()].map((session) =>
      session.end(new Error("The gateway is shutting down."), false),
    );
    this.warm.clear();
    this.reused.clear();
    await Promise.all(ending);
  }
}
