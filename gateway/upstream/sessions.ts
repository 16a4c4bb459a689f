/**
 * The gateway's way to Convex: one upstream session per identity (session.ts; the anonymous one
 * is shared), opened by the first successful call of that identity and closed when idle. Every
 * GraphQL operation reads through the access `access()` hands out, which decides between the
 * session's pushed results (warm_read.ts) and an upstream call (http_access.ts); live operations
 * subscribe through `subscribe()`.
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
import type { FreshProof } from "./freshness.ts";
import { warmReadAccess, type OperationAccess } from "./warm_read.ts";
import { WriteWatermark } from "./write_watermark.ts";

/** How metrics group upstream connections: never by token or user. */
export type IdentityBucket = "anonymous" | "authenticated";

export interface UpstreamOptions {
  /** Close a session this long after its last use. @default 10_000 // ms */
  readonly idleMs?: number;
  /** At most this many warm queries. @default 1_000 */
  readonly maxWarm?: number;
  /** At most this many bytes of warm results (estimated). @default 67_108_864 (64 MiB) */
  readonly maxWarmBytes?: number;
  /** Reads the backend's latest commit timestamp (after a write of unknown timestamp). */
  readonly latestTimestamp?: () => Promise<bigint>;
  /** How long one upstream call may take. @default 30_000 // ms */
  readonly timeoutMs?: number;
}

/** What an operation is, for `access`. */
export interface OperationRequest {
  readonly token: string | null;
  /** A query operation (not a mutation), which pushed results may answer. */
  readonly query: boolean;
  /** The caller asked for a read at the latest timestamp. */
  readonly fresh: boolean;
  /** Keep the queries read this long, to answer repeats (0: always read upstream). */
  readonly warmMs: number;
  /** Names the operation (a digest: computed only when a vouch needs it). */
  readonly operation: () => string;
  readonly requestId?: string;
}

/** Reruns of an inconsistent warm read before it reads upstream instead. */
const MAX_WARM_ATTEMPTS = 3;

/** What each fresh operation's attempts proved (keyed on the operation's request). */
const freshProofs = new WeakMap<OperationRequest, FreshProof>();

function freshProof(request: OperationRequest): FreshProof {
  let proof = freshProofs.get(request);
  if (proof === undefined) freshProofs.set(request, (proof = { openedOn: null }));
  return proof;
}

export class UpstreamSessions {
  private readonly sessions = new Map<string, UpstreamSession>();
  private readonly refusedListeners = new Set<(token: string) => void>();
  readonly watermark: WriteWatermark;
  readonly warm: WarmQueries;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly options: UpstreamOptions = {},
  ) {
    this.watermark = new WriteWatermark(options.latestTimestamp);
    this.warm = new WarmQueries(options.maxWarm ?? 1_000, options.maxWarmBytes ?? 64 * 1024 ** 2);
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
   * The access one non-live operation reads and writes through (see the file comment);
   * `upstream`: its last attempt asked to read upstream (warm_read.ts `Finish`).
   */
  access(request: OperationRequest, attempt = 0, upstream = false): OperationAccess {
    // Built on first use: a warm read never calls it (no per-read HTTP access on the hot path).
    let made: ConvexAccess | null = null;
    const writes: ConvexAccess = {
      run: (kind, path, args, hints) =>
        (made ??= this.httpAccess(request)).run(kind, path, args, hints),
    };
    if (!request.query || upstream || request.warmMs === 0) return once(writes);
    if (request.fresh) return this.freshAccess(request, attempt, writes);
    const session = this.ready(request.token);
    if (session !== null && attempt < MAX_WARM_ATTEMPTS && session.canRead(request.operation)) {
      return warmReadAccess(session, { timeoutMs: this.timeoutMs, warmMs: request.warmMs, writes });
    }
    const mark = session?.readMark() ?? null;
    if (session === null || mark === null) return once(writes);
    const log: ReadLog = { reads: [], onlyQueries: true };
    const vouching = this.httpAccess(request, log);
    return {
      run: (kind, path, args, hints) => vouching.run(kind, path, args, hints),
      finish: (result) => {
        if (result.errors === undefined && log.onlyQueries)
          session.vouch(mark, request.operation(), log.reads);
        return "done";
      },
    };
  }

  /**
   * A read at the backend's latest timestamp: through the identity's ready session when the state
   * it reads proves that recent (warm_read.ts), else over HTTP.
   */
  private freshAccess(
    request: OperationRequest,
    attempt: number,
    writes: ConvexAccess,
  ): OperationAccess {
    const session = this.ready(request.token);
    const latestTimestamp = this.options.latestTimestamp;
    if (session === null || latestTimestamp === undefined || attempt >= MAX_WARM_ATTEMPTS) {
      return once(writes);
    }
    return warmReadAccess(session, {
      timeoutMs: this.timeoutMs,
      warmMs: request.warmMs,
      writes,
      fresh: { proof: freshProof(request), latestTimestamp },
    });
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
    await Promise.all(ending);
  }
}

/** An access whose operation needs nothing after it ran. */
function once(access: ConvexAccess): OperationAccess {
  return {
    run: (kind, path, args, hints) => access.run(kind, path, args, hints),
    finish: () => "done",
  };
}
