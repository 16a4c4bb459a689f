/**
 * A session's subscribed queries, and which of them need a fresh result. A query is stale when
 * it was just added, when the identity changed, or when a commit invalidated its live result
 * (its watcher fires): an update looks only at stale queries, so a commit that invalidates one
 * query of a session costs the same whether the session holds 10 queries or 10,000.
 */
import type { LiveQueries, LiveResult, Watcher } from "../subscriptions/live_queries.ts";
import { ProtocolViolation, type QuerySetModification } from "./protocol.ts";

/** Most queries one session may subscribe to. */
export const MAX_QUERIES_PER_SESSION = 10_000;

export interface SubscribedQuery {
  readonly queryId: number;
  readonly path: string;
  readonly args: unknown;
  /** Marks this query stale when its live result is invalidated. */
  readonly watcher: Watcher;
  /** The journal of the last result (or the one the client sent back with Add). */
  journal: string | null;
  result: LiveResult | null;
  /** The modification fields the client last received for this query. */
  sent: string | null;
}

export class QuerySet {
  private readonly queries = new Map<number, SubscribedQuery>();
  private stale = new Set<SubscribedQuery>();
  private removed: number[] = [];

  constructor(
    private readonly liveQueries: LiveQueries,
    /** Called whenever a query becomes stale. */
    private readonly onStale: () => void,
  ) {}

  get size(): number {
    return this.queries.size;
  }

  /** True while `query` is subscribed (not removed, not replaced). */
  holds(query: SubscribedQuery): boolean {
    return this.queries.get(query.queryId) === query;
  }

  /** Applies one modification. @throws ProtocolViolation */
  apply(modification: QuerySetModification): void {
    if (modification.type === "Remove") {
      this.remove(modification.queryId);
      return;
    }
    if (this.queries.has(modification.queryId)) {
      throw new ProtocolViolation("BadRequest", `Query ${modification.queryId} was added twice.`);
    }
    if (this.queries.size >= MAX_QUERIES_PER_SESSION) {
      throw new ProtocolViolation(
        "BadRequest",
        `Too many queries on one socket (limit ${MAX_QUERIES_PER_SESSION}).`,
      );
    }
    const query: SubscribedQuery = {
      queryId: modification.queryId,
      path: modification.udfPath,
      args: modification.args[0],
      watcher: () => this.markStale(query),
      journal: modification.journal ?? null,
      result: null,
      sent: null,
    };
    this.queries.set(query.queryId, query);
    this.markStale(query);
  }

  private remove(queryId: number): void {
    const query = this.queries.get(queryId);
    if (query === undefined) {
      throw new ProtocolViolation("BadRequest", `Query ${queryId} was removed but never added.`);
    }
    this.release(query);
    this.queries.delete(queryId);
    this.stale.delete(query);
    this.removed.push(queryId);
  }

  private markStale(query: SubscribedQuery): void {
    if (!this.holds(query)) return;
    this.stale.add(query);
    this.onStale();
  }

  /** A new identity: every query is looked up again under it (shared results stay shared). */
  resetAll(): void {
    for (const query of this.queries.values()) {
      this.release(query);
      this.stale.add(query);
    }
  }

  /** Stops watching `query`'s result. */
  release(query: SubscribedQuery): void {
    if (query.result !== null) this.liveQueries.unwatch(query.result, query.watcher);
    query.result = null;
  }

  /** Takes the stale queries (they are not stale any more until marked again). */
  takeStale(): SubscribedQuery[] {
    const stale = [...this.stale];
    this.stale = new Set();
    return stale;
  }

  /** Marks a query stale again without scheduling (its caller reruns the update itself). */
  requeue(query: SubscribedQuery): void {
    if (this.holds(query)) this.stale.add(query);
  }

  /** Takes the ids removed since the last call. */
  takeRemoved(): number[] {
    const removed = this.removed;
    this.removed = [];
    return removed;
  }

  /** Releases every query (the session ended). */
  clear(): void {
    for (const query of this.queries.values()) this.release(query);
    this.queries.clear();
    this.stale.clear();
  }
}
