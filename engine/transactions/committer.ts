/**
 * The single committer: validates a transaction's read set against every write committed since
 * its snapshot (optimistic concurrency control), assigns the commit timestamp, persists, and
 * publishes in timestamp order.
 *
 *   commit(tx) --validate--> conflict? -> ConflictError
 *                  | ok: ts assigned, keys appended to the write log (later commits check them)
 *                  v
 *              pending --(next turn of the event loop, once fewer than 2 batches are in flight)-->
 *              writing (one SQLite transaction for all pending, on the commit writer's thread)
 *                  --durable--> applied to the DocumentStore, publishedTs = ts, listeners told,
 *                               promise resolved (in ts order, batch after batch)
 *                  --failed---> rejected, dropped from the write log
 *
 * A commit that conflicts with one still being written learns of it once that one landed, so the
 * retry that follows reads a snapshot holding the winning write (as when writes were synchronous).
 *
 * Node's event loop makes validation and ts assignment atomic. Group commit: while the writer
 * thread holds two batches (one being written, one queued), every commit that arrives joins the
 * next one, so the batches grow with the load while functions keep executing beside the disk
 * work. A batch after a failed one stays valid: its commits read only published (landed) data
 * and were validated against the failed batch's writes, so none of them depends on it.
 *
 * The write log and the open snapshots (OCC's memory, and the validation against them) live in
 * write_log.ts; this module owns timestamps, batching, publication and garbage collection.
 */
import { resolveCommitTs } from "./commit_ts.ts";
import type { DocumentStore } from "../storage/document_store.ts";
import type { Persistence, PersistedCommit } from "../storage/persistence.ts";
import type { DocumentWrite, Timestamp } from "../storage/types.ts";
import type { IndexKey } from "../values/index_key.ts";
import type { ReadSet, IndexName } from "./read_set.ts";
import { TimestampOracle } from "./timestamp.ts";
import { conflictError, WriteLog, type LogEntry } from "./write_log.ts";

/** How long old revisions stay readable for `/api/query_at_ts` (Convex keeps minutes of history). */
export const HISTORY_RETENTION_MS = 30_000;

/**
 * Batches sent to the writer thread and not yet landed. Two: while it writes one, the next
 * waits in its queue, so it never idles for the round trip between threads; more would only
 * split the load into smaller batches (one fsync each with `full` durability).
 */
const MAX_BATCHES_IN_FLIGHT = 2;

/** What a published commit wrote: the ts and the old/new keys per index. */
export interface PublishedCommit {
  readonly ts: Timestamp;
  readonly keys: ReadonlyMap<IndexName, readonly IndexKey[]>;
  readonly writes: readonly DocumentWrite[];
}

interface PendingCommit {
  readonly entry: LogEntry;
  readonly writes: readonly DocumentWrite[];
  readonly persisted: PersistedCommit;
  readonly resolve: (ts: Timestamp) => void;
  readonly reject: (error: unknown) => void;
}

/** Counts of what the committer did, for tests and benchmarks. */
export interface CommitterStats {
  commits: number;
  conflicts: number;
  batches: number;
}

export class Committer {
  private readonly oracle: TimestampOracle;
  private published: Timestamp;
  /** Key writes after the oldest open snapshot, and the open snapshots (write_log.ts). */
  private readonly writeLog = new WriteLog();
  private pending: PendingCommit[] = [];
  private flushScheduled = false;
  /**
   * Batches on their way to the disk (at most MAX_BATCHES_IN_FLIGHT), and the newest one's
   * landing. The writer thread writes them in order and answers in order: they land in ts order.
   */
  private batchesInFlight = 0;
  private lastLanding: Promise<void> = Promise.resolve();
  /** Every commit at or before this ts is published or failed (its batch landed). */
  private landedTs: Timestamp;
  /** Conflicts waiting for the commit they lost to (`ts`) to land. */
  private afterLanding: { ts: Timestamp; run: () => void }[] = [];
  private readonly listeners = new Set<(commit: PublishedCommit) => void>();
  readonly stats: CommitterStats = { commits: 0, conflicts: 0, batches: 0 };
  /** What waits for every snapshot before a timestamp to close (`whenUnseenBefore`). */
  private unseenWaits: { readonly ts: Timestamp; readonly run: () => void }[] = [];
  /** Snapshots older than this can no longer be read (their history was collected). */
  private horizon: Timestamp = 0n;

  constructor(
    private readonly store: DocumentStore,
    private readonly persistence: Persistence,
    recoveredTs: Timestamp,
  ) {
    this.oracle = new TimestampOracle(recoveredTs);
    this.published = recoveredTs;
    this.landedTs = recoveredTs;
  }

  /** The newest published timestamp: new snapshots read here. */
  get publishedTs(): Timestamp {
    return this.published;
  }

  /** The oldest timestamp that can still be read (`/api/query_at_ts`). */
  get oldestReadableTs(): Timestamp {
    return this.horizon;
  }

  /** Opens a snapshot at the latest published timestamp; pair with `closeSnapshot`. */
  openSnapshot(): Timestamp {
    const ts = this.published;
    this.writeLog.openSnapshot(ts);
    return ts;
  }

  /** Opens a snapshot at an older timestamp (`/api/query_at_ts`); pair with `closeSnapshot`. */
  openSnapshotAt(ts: Timestamp): void {
    this.writeLog.openSnapshot(ts);
  }

  closeSnapshot(ts: Timestamp): void {
    this.writeLog.closeSnapshot(ts);
    if (this.unseenWaits.length > 0) this.runUnseenWaits();
  }

  /** Called after each commit is published, in ts order. */
  /**
   * Runs `run` once no open snapshot is older than `ts`: from then on no reader can see the state
   * before the commit at `ts` (file storage removes a deleted file's bytes then, not while a
   * running mutation may still read the file).
   */
  whenUnseenBefore(ts: Timestamp, run: () => void): void {
    this.unseenWaits.push({ ts, run });
    this.runUnseenWaits();
  }

  private runUnseenWaits(): void {
    const oldest = this.writeLog.oldestOpen(this.published);
    const due = this.unseenWaits.filter((wait) => wait.ts <= oldest);
    if (due.length === 0) return;
    this.unseenWaits = this.unseenWaits.filter((wait) => wait.ts > oldest);
    for (const wait of due) wait.run();
  }

  onPublish(listener: (commit: PublishedCommit) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates and commits. Resolves with the commit timestamp once the commit is durable and
   * visible; rejects with `ConflictError` when something it read changed since `beginTs`.
   * A transaction without writes commits at once at `beginTs`.
   */
  commit(
    beginTs: Timestamp,
    readSet: ReadSet,
    writes: readonly DocumentWrite[],
  ): Promise<Timestamp> {
    const conflict = this.writeLog.firstOverlapAfter(beginTs, readSet, null);
    if (conflict !== null) {
      this.stats.conflicts++;
      const error = conflictError(conflict);
      // Reported once the winner's batch landed: a retry's snapshot then sees the winning write.
      if (conflict.ts <= this.landedTs) return Promise.reject(error);
      return new Promise((_, reject) =>
        this.afterLanding.push({ ts: conflict.ts, run: () => reject(error) }),
      );
    }
    if (writes.length === 0) return Promise.resolve(beginTs);
    const ts = this.oracle.next();
    writes = resolveCommitTs(writes, ts);
    const entry: LogEntry = { ts, keys: this.store.writeKeys(writes) };
    this.writeLog.append(entry);
    return new Promise<Timestamp>((resolve, reject) => {
      this.pending.push({
        entry,
        writes,
        persisted: {
          ts,
          writes: writes.map((write) => ({
            id: write.id,
            table: write.table,
            json: write.after === null ? null : write.after.json,
          })),
        },
        resolve,
        reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * The first published commit after `afterTs` that wrote into `readSet` (a live result computed
   * at `afterTs` is invalid from there on), or null. Hold a snapshot at `afterTs` meanwhile.
   */
  firstPublishedWriteInto(readSet: ReadSet, afterTs: Timestamp): Timestamp | null {
    return this.writeLog.firstOverlapAfter(afterTs, readSet, this.published)?.ts ?? null;
  }

  /** Resolves once no commit is pending or being written (for a clean close). */
  async idle(): Promise<void> {
    while (this.batchesInFlight > 0 || this.pending.length > 0) {
      if (this.batchesInFlight > 0) await this.lastLanding;
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    // When the writer is full, the oldest batch flushes these when it lands.
    if (this.batchesInFlight >= MAX_BATCHES_IN_FLIGHT) return;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.batchesInFlight++;
    this.lastLanding = this.persistence.persist(batch.map((commit) => commit.persisted)).then(
      () => this.landed(batch, null),
      (error: unknown) => this.landed(batch, error),
    );
  }

  /** A batch reached the disk (or failed): publish or reject it, then write what queued meanwhile. */
  private landed(batch: readonly PendingCommit[], error: unknown): void {
    this.batchesInFlight--;
    if (error === null) this.publish(batch);
    else {
      // Not durable: forget these commits (later ones validated against them may see false conflicts).
      this.writeLog.forget(new Set(batch.map((commit) => commit.entry)));
      for (const commit of batch) commit.reject(error);
    }
    this.landedTs = batch[batch.length - 1]?.entry.ts ?? this.landedTs;
    const due = this.afterLanding.filter((waiter) => waiter.ts <= this.landedTs);
    if (due.length > 0) {
      this.afterLanding = this.afterLanding.filter((waiter) => waiter.ts > this.landedTs);
      for (const waiter of due) waiter.run();
    }
    this.flush();
  }

  private publish(batch: readonly PendingCommit[]): void {
    this.stats.batches++;
    for (const commit of batch) {
      this.store.apply(commit.entry.ts, commit.writes);
      this.published = commit.entry.ts;
      this.stats.commits++;
      const published: PublishedCommit = {
        ts: commit.entry.ts,
        keys: commit.entry.keys,
        writes: commit.writes,
      };
      for (const listener of this.listeners) listener(published);
      commit.resolve(commit.entry.ts);
    }
    this.collectGarbage();
  }

  /** Drops write-log entries and old revisions that no open snapshot can need. */
  private collectGarbage(): void {
    if (this.unseenWaits.length > 0) this.runUnseenWaits();
    const oldestOpen = this.writeLog.collect(this.published);
    // Old revisions stay readable for HISTORY_RETENTION_MS (`/api/query_at_ts`), or longer while open.
    const retained = BigInt(Date.now() - HISTORY_RETENTION_MS) * 1_000_000n;
    let horizon = retained < oldestOpen ? retained : oldestOpen;
    if (horizon < this.horizon) horizon = this.horizon;
    this.horizon = horizon;
    this.store.collectGarbage(horizon);
  }
}
