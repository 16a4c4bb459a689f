/**
 * One identity's upstream session: its connection (connection.ts), the queries subscribed through
 * it (shared_queries.ts), what upstream reads vouched for, and its idle close. It answers the
 * freshness question for its identity (freshness.ts) and runs its mutations.
 *
 *   open --no query, no mutation, token settled for idleMs--> closed
 *     \--token refused, or the gateway closes--> closed (readers get an error)
 */
import { convexToJson, type Value } from "convex/values";
import { UpstreamConnection } from "./connection.ts";
import { canRead, readMark, vouchFor, type ReadMark, type Vouch } from "./freshness.ts";
import {
  SharedQueries,
  type UpstreamListener,
  type UpstreamSubscription,
  type UpstreamUpdate,
} from "./shared_queries.ts";
import { withTimeout } from "./timeout.ts";
import type { WarmQueries } from "./warm_queries.ts";
import type { WriteWatermark } from "./write_watermark.ts";

/** One Convex query an upstream read made, and its result (for `vouch`). */
export interface UpstreamRead {
  readonly path: string;
  readonly args: Record<string, Value>;
  readonly value: unknown;
}

/** At most this many vouched operations between two Transitions. */
const MAX_VOUCHED = 1_000;

export interface SessionContext {
  readonly url: string;
  readonly idleMs: number;
  readonly watermark: WriteWatermark;
  readonly warm: WarmQueries;
  /** The session ended (idle, refused or closed): the sessions map forgets it. */
  readonly ended: (session: UpstreamSession, refused: boolean) => void;
}

let nextSessionId = 0;

export class UpstreamSession {
  /** Distinct per session (reused_results.ts keys on it). */
  readonly id = nextSessionId++;
  readonly connection: UpstreamConnection;
  readonly queries: SharedQueries;
  private readonly vouched = new Map<string, Vouch>();
  private idleTimer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    readonly token: string | null,
    private readonly context: SessionContext,
  ) {
    this.connection = new UpstreamConnection(context.url, token, {
      refused: () => void this.end(refusedError(), true),
      transition: () => {
        if (this.vouched.size > 0) this.vouched.clear();
        this.queries.afterTransition();
      },
      authSettled: () => this.scheduleIdleClose(),
    });
    this.queries = new SharedQueries(this.connection, context.warm, () => this.scheduleIdleClose());
    this.scheduleIdleClose();
  }

  /** In use again: whoever ends this use schedules the idle close anew. */
  touch(): this {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    return this;
  }

  get transitions(): number {
    return this.connection.transitions;
  }

  /** True when this session's results may answer a read (`operation` names it, for vouches). */
  canRead(operation?: () => string): boolean {
    const view = this.connection.view(this.queries.size > 0);
    return canRead(view, this.context.watermark.current(), () =>
      operation === undefined || this.vouched.size === 0
        ? undefined
        : this.vouched.get(operation()),
    );
  }

  /** Where an upstream read that may vouch for this session starts from (null: nothing to vouch). */
  readMark(): ReadMark | null {
    return readMark(this.connection.view(this.queries.size > 0), this.context.watermark.current());
  }

  /** A read from `mark` found `reads`: if they are what this session holds, vouch for `operation`. */
  vouch(mark: ReadMark, operation: string, reads: readonly UpstreamRead[]): void {
    if (this.ended || reads.length === 0) return;
    const sameAsHeld = reads.every((read) => {
      const held = this.queries.latest(read.path, read.args);
      return (
        held !== null &&
        "value" in held &&
        JSON.stringify(convexToJson(held.value as Value)) ===
          JSON.stringify(convexToJson(read.value as Value))
      );
    });
    const vouch = vouchFor(mark, this.connection.view(true), sameAsHeld);
    if (vouch === null) return;
    if (this.vouched.size >= MAX_VOUCHED) this.vouched.clear();
    this.vouched.set(operation, vouch);
  }

  /** The result held for (path, args) if it is subscribed now, else null. */
  latest(path: string, args: Record<string, Value>): UpstreamUpdate | null {
    return this.queries.latest(path, args);
  }

  keepWarm(path: string, args: Record<string, Value>, warmMs: number): void {
    this.queries.keepWarm(path, args, warmMs);
  }

  subscribe(
    path: string,
    args: Record<string, Value>,
    listener: UpstreamListener,
    warmMs: number,
  ): UpstreamSubscription {
    this.touch();
    return this.queries.subscribe(path, args, listener, warmMs);
  }

  /** Runs a mutation and raises the write watermark to its commit timestamp. */
  async mutation(path: string, args: Record<string, Value>, timeoutMs: number): Promise<unknown> {
    this.touch();
    const settled = this.connection
      .mutation(path, args, (ts) => this.context.watermark.raise(ts))
      .finally(() => this.scheduleIdleClose());
    // One that outlives the timeout still raises the watermark when it lands.
    return await withTimeout(settled, timeoutMs, `Mutation ${path}`);
  }

  /** Whether the backend accepts the token: "unavailable" when it did not answer in time. */
  async verify(timeoutMs: number): Promise<"accepted" | "refused" | "unavailable"> {
    try {
      const accepted = await withTimeout(
        this.connection.authenticated,
        timeoutMs,
        "The token check",
      );
      return accepted ? "accepted" : "refused";
    } catch {
      return "unavailable"; // still pending: the session stays open until the backend answers
    } finally {
      this.scheduleIdleClose();
    }
  }

  private isIdle(): boolean {
    return (
      this.queries.size === 0 &&
      this.connection.inflight === 0 &&
      this.connection.auth !== "pending"
    );
  }

  private scheduleIdleClose(): void {
    if (this.ended || this.idleTimer !== null || !this.isIdle()) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.isIdle()) void this.end(null, false);
    }, this.context.idleMs);
    this.idleTimer.unref();
  }

  /** Ends the session: readers get `error` (if any), the socket closes. */
  end(error: Error | null, refused: boolean): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    this.touch();
    this.queries.endAll(error);
    this.context.ended(this, refused);
    return this.connection.close();
  }
}

/** What readers of a session whose token was refused get (UNAUTHENTICATED, see errors.ts). */
export function refusedError(): Error {
  return Object.assign(new Error("AuthError: the token was refused or has expired."), {
    code: "Unauthenticated",
  });
}
