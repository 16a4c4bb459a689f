/**
 * A session's update loop: anything that may change what the client should see (a query set
 * change, a new identity, a commit invalidating one of its results, a mutation completing)
 * schedules an update; every stale query reruns at the one latest timestamp, and the changed
 * results go out in one Transition (an unchanged result is not re-sent). At most one update runs
 * at a time; a request during one marks it dirty and it goes round again. Owns the state version
 * the client has been sent and the read-your-writes promise of answered mutations.
 */
import type { UserIdentity } from "../runtime/execution.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import type { LiveQueries, LiveResult } from "../subscriptions/live_queries.ts";
import { encodeTs } from "../http/timestamps.ts";
import type { StateVersion } from "./protocol.ts";
import type { QuerySet, SubscribedQuery } from "./query_set.ts";
import type { SessionChannel, SessionClient } from "./session_channel.ts";
import {
  queryModification,
  removedModification,
  resultFields,
  transitionFrames,
  transitionText,
} from "./transition.ts";

export interface UpdateDeps {
  readonly committer: Committer;
  readonly liveQueries: LiveQueries;
}

export class SessionUpdates {
  private version: StateVersion = { querySet: 0, identity: 0, ts: encodeTs(0n) };
  private versionTs: Timestamp = 0n;
  private transitions = 0;
  /** A mutation committed at this ts was answered; a Transition reaching it must follow. */
  private mustReachTs: Timestamp | null = null;
  private updating = false;
  private dirty = false;
  /** An update was asked for while the client had Transitions to take: it runs once one is written. */
  private deferred = false;

  constructor(
    private readonly channel: SessionChannel,
    private readonly client: SessionClient,
    private readonly querySet: QuerySet,
    private readonly deps: UpdateDeps,
    private readonly chunkChars: number | null,
  ) {
    channel.onTransitionWritten = () => {
      if (!this.deferred) return;
      this.deferred = false;
      this.schedule();
    };
  }

  /** Read-your-writes: a Transition at or after the answered commit at `ts` must follow. */
  mustReach(ts: Timestamp): void {
    this.mustReachTs = this.mustReachTs === null || ts > this.mustReachTs ? ts : this.mustReachTs;
    this.schedule();
  }

  schedule(): void {
    if (this.channel.state !== "open") return;
    if (this.updating) {
      this.dirty = true;
      return;
    }
    if (this.channel.transitionsBacklogged) {
      // A client that does not keep up: later changes coalesce into the next Transition.
      this.deferred = true;
      return;
    }
    this.updating = true;
    setImmediate(() => {
      this.update()
        .catch((error: unknown) => this.channel.fail(error))
        .finally(() => {
          this.updating = false;
          if (this.dirty) {
            this.dirty = false;
            this.schedule();
          }
        });
    });
  }

  /**
   * Brings the client up to date at the latest timestamp, in one Transition: only the stale
   * queries (added, invalidated, or all after a new identity) are looked up again.
   */
  private async update(): Promise<void> {
    do {
      this.dirty = false;
      if (this.channel.state !== "open") return;
      const ts = this.deps.committer.publishedTs;
      const end: StateVersion = {
        querySet: this.client.receivedQuerySet,
        identity: this.client.receivedIdentity,
        ts: encodeTs(ts),
      };
      const identity = this.client.identity;
      const removed = this.querySet.takeRemoved();
      const stale = this.querySet.takeStale();
      const results = await Promise.all(
        stale.map((query) =>
          this.deps.liveQueries.resultAt(
            {
              path: query.path,
              args: query.args,
              identity,
              allowInternal: this.client.admin,
              journal: query.journal,
            },
            ts,
            query.watcher,
          ),
        ),
      );
      if (this.channel.state !== "open" || this.closeOnSystemError(stale, results)) return;
      const modifications = removed.map(removedModification);
      stale.forEach((query, i) => {
        const fields = this.adopt(query, results[i] as LiveResult, identity);
        if (fields !== null) modifications.push(queryModification(query.queryId, fields));
      });
      this.sendTransition(end, ts, modifications);
    } while (this.dirty && this.channel.state === "open" && !this.channel.transitionsBacklogged);
  }

  /**
   * A system error in a query closes the socket as Convex does (1013): the client retries.
   * Also releases the results when the session closed meanwhile. True when closed.
   */
  private closeOnSystemError(stale: SubscribedQuery[], results: LiveResult[]): boolean {
    const system = results.find(
      (result) => result.outcome.status === "error" && result.outcome.systemError !== undefined,
    )?.outcome;
    const closing = this.channel.state !== "open" || system !== undefined;
    if (!closing) return false;
    stale.forEach((query, i) => {
      const result = results[i] as LiveResult;
      if (result !== query.result) this.deps.liveQueries.unwatch(result, query.watcher);
    });
    if (system?.status === "error" && system.systemError !== undefined)
      this.channel.closeWith(1013, system.systemError.code);
    return true;
  }

  /**
   * Makes `result` the query's current result; returns the modification fields to send, or null
   * when the client already has them (or the query left meanwhile).
   */
  private adopt(
    query: SubscribedQuery,
    result: LiveResult,
    identity: UserIdentity | null,
  ): string | null {
    if (!this.querySet.holds(query) || identity !== this.client.identity) {
      if (result !== query.result) this.deps.liveQueries.unwatch(result, query.watcher);
      return null;
    }
    if (query.result !== result) {
      this.querySet.release(query);
      query.result = result;
    }
    // Computed at an older snapshot and already overtaken by a commit: look again next round.
    if (result.invalidatedAt !== null) {
      this.querySet.requeue(query);
      this.dirty = true;
    }
    // Reruns keep the page the first run produced (Convex's journal semantics).
    if (result.outcome.journal !== undefined && result.outcome.journal !== null) {
      query.journal = result.outcome.journal;
    }
    const fields = resultFields(result);
    if (query.sent === fields) return null;
    query.sent = fields;
    return fields;
  }

  /** Sends the Transition to `end` when there is anything to tell (or a mutation awaits it). */
  private sendTransition(end: StateVersion, ts: Timestamp, modifications: string[]): void {
    const reached = this.mustReachTs !== null && ts >= this.mustReachTs;
    const mustSend =
      modifications.length > 0 ||
      end.querySet !== this.version.querySet ||
      end.identity !== this.version.identity ||
      reached;
    if (!mustSend) return;
    if (reached) this.mustReachTs = null;
    const useTs = ts > this.versionTs ? ts : this.versionTs;
    end.ts = encodeTs(useTs);
    const text = transitionText(this.version, end, modifications, useTs);
    const id = `${this.client.sessionId}:${++this.transitions}`;
    this.channel.sendTransition(transitionFrames(text, this.chunkChars, id));
    this.version = end;
    this.versionTs = useTs;
  }
}
