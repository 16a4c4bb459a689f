/**
 * Optimistic concurrency control's memory: the index keys written by every commit after the
 * oldest open snapshot (pending commits included, in ts order), and the open snapshots that
 * decide how far back it must reach. A transaction conflicts when a commit after its snapshot
 * wrote into its read set. Apart from the committer's batching and publication: this part is
 * pure bookkeeping, with no I/O and no timers.
 */
import { ConflictError } from "../errors.ts";
import type { Timestamp } from "../storage/types.ts";
import type { IndexKey } from "../values/index_key.ts";
import type { ReadSet, IndexName } from "./read_set.ts";

/** One commit's key writes (old and new keys per index). */
export interface LogEntry {
  readonly ts: Timestamp;
  readonly keys: Map<IndexName, IndexKey[]>;
}

/** A commit after a snapshot that wrote into a read set. */
export interface Overlap {
  readonly ts: Timestamp;
  readonly overlap: { index: IndexName; key: IndexKey };
}

export class WriteLog {
  /** Key writes of commits after the oldest open snapshot, pending ones included, in ts order. */
  private entries: LogEntry[] = [];
  private readonly openSnapshots = new Map<Timestamp, number>();

  /** Counts a snapshot open at `ts`; pair with `closeSnapshot`. */
  openSnapshot(ts: Timestamp): void {
    this.openSnapshots.set(ts, (this.openSnapshots.get(ts) ?? 0) + 1);
  }

  closeSnapshot(ts: Timestamp): void {
    const count = this.openSnapshots.get(ts) ?? 0;
    if (count <= 1) this.openSnapshots.delete(ts);
    else this.openSnapshots.set(ts, count - 1);
  }

  /** The oldest open snapshot's timestamp, or `publishedTs` when none is open. */
  oldestOpen(publishedTs: Timestamp): Timestamp {
    let oldest = publishedTs;
    for (const ts of this.openSnapshots.keys()) if (ts < oldest) oldest = ts;
    return oldest;
  }

  /** Records a commit whose ts was just assigned (the newest so far). */
  append(entry: LogEntry): void {
    this.entries.push(entry);
  }

  /**
   * The oldest commit after `afterTs` (and at or before `upTo`, unless null: pending commits
   * included) that wrote into `readSet`, or null. Only commits after the oldest open snapshot
   * are kept: hold a snapshot at `afterTs` while asking.
   */
  firstOverlapAfter(afterTs: Timestamp, readSet: ReadSet, upTo: Timestamp | null): Overlap | null {
    // Only commits after the snapshot matter, and they are at the end.
    let first = this.entries.length;
    while (first > 0 && (this.entries[first - 1]?.ts ?? 0n) > afterTs) first--;
    for (let i = first; i < this.entries.length; i++) {
      const entry = this.entries[i] as LogEntry;
      if (upTo !== null && entry.ts > upTo) break;
      const overlap = readSet.firstOverlap(entry.keys);
      if (overlap !== null) return { ts: entry.ts, overlap };
    }
    return null;
  }

  /** Forgets commits that did not become durable. */
  forget(failed: ReadonlySet<LogEntry>): void {
    this.entries = this.entries.filter((entry) => !failed.has(entry));
  }

  /**
   * Drops the entries no open snapshot can need (at or before the oldest open one, or
   * `publishedTs` when none is open); returns that oldest open timestamp.
   */
  collect(publishedTs: Timestamp): Timestamp {
    const oldestOpen = this.oldestOpen(publishedTs);
    // The write log serves OCC checks only: it needs nothing at or before the oldest open snapshot.
    let drop = 0;
    while (
      drop < this.entries.length &&
      (this.entries[drop]?.ts ?? oldestOpen + 1n) <= oldestOpen
    ) {
      drop++;
    }
    if (drop > 0) this.entries.splice(0, drop);
    return oldestOpen;
  }
}

/** The error of a commit that lost to `conflict`, in Convex's words (naming the table). */
export function conflictError(conflict: Overlap): ConflictError {
  const index = conflict.overlap.index;
  const table = index.slice(0, index.lastIndexOf("."));
  return new ConflictError(
    `Documents read from or written to the "${table}" table changed while this mutation was being run. ` +
      `(index ${index}, commit ${conflict.ts})`,
    table,
  );
}
