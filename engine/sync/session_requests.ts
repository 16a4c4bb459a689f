/**
 * Exactly-once mutations across reconnects. The official client re-sends every in-flight
 * mutation with the same (session id, request id) on a new socket. A successful mutation writes
 * its outcome to `_session_requests` in its own transaction, so a repeat is answered from there
 * with the original result and commit timestamp; a repeat that arrives while the original still
 * runs waits for it.
 */
import { jsonToConvex } from "convex/values";
import type { Timestamp } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import { SESSION_REQUESTS_TABLE } from "../runtime/executor.ts";
import type { DocumentValue } from "../storage/types.ts";

export interface RecordedOutcome {
  readonly ts: Timestamp;
  /** Convex-encoded JSON of the result. */
  readonly value: unknown;
  readonly logLines: readonly string[];
}

function key(sessionId: string, requestId: number): string {
  return `${sessionId}#${requestId}`;
}

export class SessionRequests {
  private readonly recorded = new Map<string, RecordedOutcome>();
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(committer: Committer) {
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
    const { sessionId, requestId, result, logLines } = document;
    if (
      typeof sessionId !== "string" ||
      typeof requestId !== "number" ||
      typeof result !== "string"
    )
      return;
    this.recorded.set(key(sessionId, requestId), {
      ts,
      value: JSON.parse(result) as unknown,
      logLines: Array.isArray(logLines) ? (logLines as string[]) : [],
    });
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

/** Decodes a stored document row into a value (used at recovery). */
export function decodeStoredDocument(json: string): DocumentValue {
  return jsonToConvex(JSON.parse(json) as never) as DocumentValue;
}
