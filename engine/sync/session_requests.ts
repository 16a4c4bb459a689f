/**
 * Exactly-once mutations across reconnects. The official client re-sends every in-flight
 * mutation with the same (session id, request id) on a new socket. A successful mutation writes
 * its outcome to `_session_requests` in its own transaction, so a repeat is answered from there
 * with the original result and commit timestamp; a repeat that arrives while the original still
 * runs waits for it. Records older than `SESSION_REQUEST_RETENTION_MS` are deleted (a client
 * re-sends within seconds of reconnecting), so the table does not grow without bound.
 *
 * This module owns the records: their table, what a mutation writes into it (through the
 * executor's transaction hooks), reading them back at start, and sweeping them.
 */
import type { DocumentStore } from "../storage/document_store.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import { ReadSet } from "../transactions/read_set.ts";
import type { FunctionOutcome, TransactionHooks } from "../runtime/executor.ts";
import type { DocumentValue } from "../storage/types.ts";

/** The system table of exactly-once records. */
export const SESSION_REQUESTS_TABLE = "_session_requests";

/** How long a mutation's outcome is kept for replays. @default 10 minutes */
export const SESSION_REQUEST_RETENTION_MS = 10 * 60_000;
/** How often old records are swept. */
const SWEEP_INTERVAL_MS = 60_000;

export interface RecordedOutcome {
  readonly ts: Timestamp;
  /** The `_session_requests` document holding it. */
  readonly documentId: string;
  /** Convex-encoded JSON of the result. */
  readonly value: unknown;
  readonly logLines: readonly string[];
}

/** What `execute` answers: the mutation's outcome, or the recorded one of an earlier run. */
export type ExactlyOnceOutcome =
  FunctionOutcome | { status: "replayed"; value: unknown; ts: Timestamp; logLines: string[] };

function key(sessionId: string, requestId: number): string {
  return `${sessionId}#${requestId}`;
}

export class SessionRequests {
  private readonly recorded = new Map<string, RecordedOutcome>();
  private readonly running = new Map<string, Promise<unknown>>();

  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly committer: Committer,
    private readonly store: DocumentStore,
  ) {
    this.sweeper = setInterval(
      () => void this.sweep(Date.now() - SESSION_REQUEST_RETENTION_MS),
      SWEEP_INTERVAL_MS,
    );
    this.sweeper.unref();
    committer.onPublish((commit) => {
      for (const write of commit.writes) {
        if (write.table === SESSION_REQUESTS_TABLE && write.after !== null) {
          this.record(write.after.value, commit.ts);
        }
      }
    });
  }

  /** Adds a recorded outcome (from a commit, or from the data file at start). */
  record(document: DocumentValue, ts: Timestamp): void {
    const { sessionId, requestId, result, logLines, _id } = document;
    if (
      typeof sessionId !== "string" ||
      typeof requestId !== "number" ||
      typeof result !== "string" ||
      typeof _id !== "string"
    )
      return;
    this.recorded.set(key(sessionId, requestId), {
      ts,
      documentId: _id,
      value: JSON.parse(result) as unknown,
      logLines: Array.isArray(logLines) ? (logLines as string[]) : [],
    });
  }

  /** Deletes the records of mutations committed before `olderThanMs` (wall clock). */
  async sweep(olderThanMs: number): Promise<number> {
    const cutoff = BigInt(Math.floor(olderThanMs)) * 1_000_000n;
    const expired: [string, RecordedOutcome][] = [];
    for (const entry of this.recorded) if (entry[1].ts < cutoff) expired.push(entry);
    if (expired.length === 0) return 0;
    const writes = [];
    for (const [, outcome] of expired) {
      const current = this.store.get(outcome.documentId, this.committer.publishedTs);
      if (current !== null)
        writes.push({ id: current.id, table: current.table, before: current, after: null });
    }
    for (const [k] of expired) this.recorded.delete(k);
    if (writes.length > 0) {
      // Blind deletes of system documents nothing else writes: an empty read set cannot conflict.
      await this.committer.commit(this.committer.publishedTs, new ReadSet(), writes);
    }
    return writes.length;
  }

  /** Stops the periodic sweep. */
  close(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Runs a sync-protocol mutation once per (session, request): a request already committed is
   * answered from its record, one still running on another socket shares that run, and a new
   * one runs `run` with hooks that write its record in the mutation's own transaction.
   */
  async execute(
    sessionId: string,
    requestId: number,
    run: (hooks: TransactionHooks) => Promise<FunctionOutcome>,
  ): Promise<ExactlyOnceOutcome> {
    const recorded = this.lookup(sessionId, requestId);
    if (recorded !== undefined) {
      const { value, ts, logLines } = recorded;
      return { status: "replayed", value, ts, logLines: [...logLines] };
    }
    return this.runOnce(sessionId, requestId, () =>
      run({
        begin: () => true,
        complete: (tx, value, logLines) => {
          tx.insert(SESSION_REQUESTS_TABLE, {
            sessionId,
            requestId,
            result: JSON.stringify(value),
            logLines: [...logLines],
          });
        },
      }),
    );
  }

  /** The recorded outcome of a request that already committed, if any. */
  lookup(sessionId: string, requestId: number): RecordedOutcome | undefined {
    return this.recorded.get(key(sessionId, requestId));
  }

  /**
   * Runs `fn` for a request unless the same request is already running on another socket of
   * the session: then it shares that run's outcome.
   */
  async runOnce<T>(sessionId: string, requestId: number, fn: () => Promise<T>): Promise<T> {
    const k = key(sessionId, requestId);
    const existing = this.running.get(k);
    if (existing !== undefined) return existing as Promise<T>;
    const promise = fn();
    this.running.set(k, promise);
    try {
      return await promise;
    } finally {
      this.running.delete(k);
    }
  }
}
