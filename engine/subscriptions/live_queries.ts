/**
 * Live query results shared across sessions: the query cache and reactive invalidation.
 *
 * A result is keyed by function, arguments and, only when the execution read it, the identity:
 * a query that never called `ctx.auth` serves every user from one execution. Each live result
 * is registered in the subscription index with its read set; a commit that writes into that
 * read set marks it invalid at the commit's timestamp and tells its watchers (sessions), which
 * rerun it. Concurrent requests for the same result at the same timestamp share one execution.
 *
 *   computing --done--> valid --commit hits its read set--> invalid(ts) --no watchers--> dropped
 */
import type { FunctionOutcome, Executor } from "../runtime/executor.ts";
import type { UserIdentity } from "../runtime/execution.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Committer, PublishedCommit } from "../transactions/committer.ts";
import { SubscriptionIndex, type Registration } from "./subscription_index.ts";

/** What a session asks for. */
export interface LiveQueryRequest {
  readonly path: string;
  /** Convex-encoded JSON of the args object. */
  readonly args: unknown;
  readonly identity: UserIdentity | null;
  /** The caller holds the admin key: internal queries resolve (cached apart from the rest). */
  readonly allowInternal?: boolean;
  /** The subscription's query journal (pins a paginated query's page end), or null. */
  readonly journal?: string | null;
}

export type Watcher = (result: LiveResult) => void;

/** One computed result, valid from `ts` until `invalidatedAt` (exclusive). */
export class LiveResult {
  invalidatedAt: Timestamp | null = null;
  registration: Registration<LiveResult> | null = null;
  /** The functions' version it ran (see LiveQueries.invalidateAll). */
  generation = 0;
  readonly watchers = new Set<Watcher>();
  /** The transport's encoding of this result, made once and shared by every subscriber. */
  private wire: string | null = null;

  constructor(
    readonly cacheKey: string,
    readonly ts: Timestamp,
    readonly outcome: FunctionOutcome,
    /** The function it ran (as requested). */
    readonly path: string,
  ) {}

  /** `encode(outcome)`, computed on the first call and remembered. */
  serialised(encode: (outcome: FunctionOutcome) => string): string {
    this.wire ??= encode(this.outcome);
    return this.wire;
  }

  /** True when this result is the query's result at snapshot `ts`. */
  validAt(ts: Timestamp): boolean {
    return this.ts <= ts && (this.invalidatedAt === null || ts < this.invalidatedAt);
  }
}

/** Counters for tests and benchmarks. */
export interface LiveQueryStats {
  /** Query executions started for live results (first runs and reruns). */
  executions: number;
  /** Results invalidated by commits. */
  invalidations: number;
  /** Requests answered by a cached result or by joining an execution in flight. */
  cacheHits: number;
  /** Requests that started an execution of their own. */
  cacheMisses: number;
}

/** How soon a transient failure (a timeout) is recomputed. */
const TRANSIENT_RETRY_MS = 100;

function identityKey(identity: UserIdentity | null): string {
  return identity === null ? "anonymous" : `user:${identity.tokenIdentifier}`;
}

export class LiveQueries {
  readonly stats: LiveQueryStats = {
    executions: 0,
    invalidations: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };
  private readonly results = new Map<string, LiveResult>();
  /** Every result someone watches (a newer result may have replaced it in `results`). */
  private readonly watched = new Set<LiveResult>();
  private readonly inflight = new Map<string, Promise<LiveResult>>();
  private readonly index = new SubscriptionIndex<LiveResult>();
  /** Bumped by each reload: a result computed by older code is never reused. */
  private generation = 0;

  constructor(
    private readonly executor: Executor,
    private readonly committer: Committer,
  ) {
    committer.onPublish((commit) => this.onCommit(commit));
  }

  /** Number of live results held (each shared by all its watchers). */
  get size(): number {
    return this.results.size;
  }

  /** Registered read intervals, across all live results. */
  intervalCount(): number {
    return this.index.intervalCount();
  }

  private onCommit(commit: PublishedCommit): void {
    const hit = this.index.invalidated(commit.keys);
    for (const result of hit) this.invalidate(result, commit.ts);
  }

  /**
   * Invalidates every result at `ts`: the functions changed (a reload), so every watcher reruns
   * its queries with the new code, as Convex reruns subscriptions after a push.
   */
  invalidateAll(ts: Timestamp): void {
    this.generation++;
    for (const result of [...this.watched, ...this.results.values()]) this.invalidate(result, ts);
  }

  /**
   * Invalidates at `ts` every result of the functions `matches` picks: system queries that
   * answer from state kept outside the tables (`npx convex import`'s imports), which no commit
   * invalidates, call this when that state changes.
   */
  invalidateFunctions(matches: (path: string) => boolean, ts: Timestamp): void {
    for (const result of [...this.watched, ...this.results.values()]) {
      if (matches(result.path)) this.invalidate(result, ts);
    }
  }

  private invalidate(result: LiveResult, ts: Timestamp): void {
    if (result.invalidatedAt !== null) return;
    result.invalidatedAt = ts;
    this.stats.invalidations++;
    if (result.registration !== null) {
      this.index.remove(result.registration);
      result.registration = null;
    }
    for (const watcher of [...result.watchers]) watcher(result);
  }

  /**
   * The result of `request` at snapshot `ts`, watched by `watcher` (called once if the result
   * is later invalidated). Pair with `unwatch`.
   */
  async resultAt(request: LiveQueryRequest, ts: Timestamp, watcher: Watcher): Promise<LiveResult> {
    // The arguments' JSON is made once: the executor checks the same text (see FunctionRequest).
    const argsJson = JSON.stringify(request.args ?? {});
    const keyJson = `${argsJson}\u0000${JSON.stringify(request.journal ?? null)}`;
    // An admin's results never serve others: they may come from internal functions.
    const path = request.allowInternal === true ? `admin\u0000${request.path}` : request.path;
    const sharedKey = `${path}\u0000${keyJson}\u0000*`;
    const specificKey = `${path}\u0000${keyJson}\u0000${identityKey(request.identity)}`;
    for (const key of [sharedKey, specificKey]) {
      const cached = this.results.get(key);
      if (cached !== undefined && cached.generation === this.generation && cached.validAt(ts)) {
        this.stats.cacheHits++;
        cached.watchers.add(watcher);
        this.watched.add(cached);
        return cached;
      }
    }
    // A snapshot held for the whole wait keeps the committer's log of the commits since `ts`, so
    // that a result (a rerun after a reload included) catches up on them.
    this.committer.openSnapshotAt(ts);
    let counted = false;
    try {
      for (;;) {
        const generation = this.generation;
        const inflightKey = `${specificKey}\u0000${ts}\u0000${generation}`;
        let pending = this.inflight.get(inflightKey);
        if (!counted) {
          counted = true;
          if (pending === undefined) this.stats.cacheMisses++;
          else this.stats.cacheHits++;
        }
        if (pending === undefined) {
          pending = this.execute(request, argsJson, ts, { sharedKey, specificKey }).finally(() =>
            this.inflight.delete(inflightKey),
          );
          this.inflight.set(inflightKey, pending);
        }
        const result = await pending;
        // The functions were reloaded while it ran: run it again with the new code.
        if (result.generation !== this.generation) continue;
        result.watchers.add(watcher);
        this.watched.add(result);
        return result;
      }
    } finally {
      this.committer.closeSnapshot(ts);
    }
  }

  /** Stops watching; a result nobody watches is dropped. */
  unwatch(result: LiveResult, watcher: Watcher): void {
    result.watchers.delete(watcher);
    if (result.watchers.size > 0) return;
    this.watched.delete(result);
    if (result.registration !== null) {
      this.index.remove(result.registration);
      result.registration = null;
    }
    if (this.results.get(result.cacheKey) === result) this.results.delete(result.cacheKey);
  }

  private async execute(
    request: LiveQueryRequest,
    argsJson: string,
    ts: Timestamp,
    { sharedKey, specificKey }: { sharedKey: string; specificKey: string },
  ): Promise<LiveResult> {
    this.stats.executions++;
    const generation = this.generation;
    const outcome = await this.executor.run({
      path: request.path,
      kind: "query",
      args: request.args,
      argsJson,
      identity: request.identity,
      allowInternal: request.allowInternal === true,
      snapshotTs: ts,
      journal: request.journal ?? null,
    });
    const key = outcome.observedIdentity ? specificKey : sharedKey;
    const result = new LiveResult(key, ts, outcome, request.path);
    result.generation = generation;
    if (generation !== this.generation) {
      // Computed by the code a reload replaced: neither cached nor registered.
      return result;
    }
    const readSet = outcome.readSet;
    if (readSet !== null) {
      // Commits published while it ran were not checked against it: catch up now.
      result.invalidatedAt = this.committer.firstPublishedWriteInto(readSet, ts);
      if (result.invalidatedAt === null) result.registration = this.index.add(result, readSet);
    }
    if (outcome.status === "error" && outcome.transient === true) {
      // A timeout says nothing about the data: have the watchers ask again shortly.
      const retry = setTimeout(() => this.invalidate(result, result.ts), TRANSIENT_RETRY_MS);
      retry.unref();
    }
    const existing = this.results.get(key);
    if (existing === undefined || existing.ts <= ts) this.results.set(key, result);
    return result;
  }
}
