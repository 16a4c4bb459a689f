/**
 * One execution's view of the database: a snapshot, a read set, and (for mutations) a buffer
 * of writes overlaid on the snapshot, so the function reads its own writes.
 *
 *   open --commit()--> committing --> committed
 *                          \--------> conflicted (read set overlapped a newer write: retry)
 *   open --abort()---> aborted (the function threw, or this was a query)
 *
 * Beside it: index_scan.ts (range scans merged with the buffered writes), write_buffer.ts (the
 * buffer's operations) and transaction_limits.ts (Convex's limits and their errors).
 */
import { randomBytesFromPool } from "../util/random_pool.ts";
import type { Value } from "convex/values";
import { ConflictError, FunctionFailure } from "../errors.ts";
import { idKey, storedDocument, type DocumentStore } from "../storage/document_store.ts";
import type { MvccIndex } from "../storage/mvcc_index.ts";
import type { TableRegistry } from "../storage/table_registry.ts";
import type { DocumentValue, DocumentWrite, StoredDocument, Timestamp } from "../storage/types.ts";
import { decodeDocumentId, generateDocumentId } from "../values/document_id.ts";
import type { Committer } from "./committer.ts";
import { IndexScan } from "./index_scan.ts";
import type { Interval } from "./interval_set.ts";
import { ReadSet } from "./read_set.ts";
import {
  checkBytesWritten,
  checkDocumentsWritten,
  checkIntervalLimit,
  checkReadLimits,
} from "./transaction_limits.ts";
import {
  checkpointOf,
  documentWritesOf,
  restoreTo,
  writesOfTable,
  type BufferedWrite,
  type WriteBuffer,
} from "./write_buffer.ts";

export { IndexScan } from "./index_scan.ts";
export { TRANSACTION_LIMITS } from "./transaction_limits.ts";

export type TransactionState = "open" | "committing" | "committed" | "conflicted" | "aborted";

/** Checks a document about to be written; returns an error message or null. */
export type WriteCheck = (table: string, document: DocumentValue) => string | null;

export interface TransactionOptions {
  readonly store: DocumentStore;
  readonly committer: Committer;
  readonly tables: TableRegistry;
  readonly checkWrite: WriteCheck;
  readonly readOnly: boolean;
  /** Frozen wall-clock time of the execution, in ms (used for `_creationTime`). */
  readonly nowMs: number;
  /** Read at this timestamp instead of the latest one. */
  readonly snapshotTs?: Timestamp;
}

/** What a transaction stored and read of file storage, counted against its limits. */
export interface FileUsage {
  written: number;
  writeBytes: number;
  read: number;
  readBytes: number;
}

export class Transaction {
  state: TransactionState = "open";
  readonly beginTs: Timestamp;
  readonly readSet = new ReadSet();
  private readonly writes: WriteBuffer = new Map();
  private readonly scans = new Set<IndexScan>();
  private documentsRead = 0;
  private bytesRead = 0;
  private bytesWritten = 0;
  /** True once the transaction read the user identity (the query cache keys on it then). */
  observedIdentity = false;
  /** Made on first use: most transactions touch no file and set no hook (every query is one). */
  private fileUsage: FileUsage | null = null;
  /** Called once the transaction committed, conflicted or was aborted. */
  private endHooks: (() => void)[] | null = null;

  constructor(private readonly options: TransactionOptions) {
    if (options.snapshotTs !== undefined) {
      options.committer.openSnapshotAt(options.snapshotTs);
      this.beginTs = options.snapshotTs;
    } else {
      this.beginTs = options.committer.openSnapshot();
    }
  }

  get store(): DocumentStore {
    return this.options.store;
  }

  /** The table a document id belongs to, or null if the id is not a valid id of a known table. */
  tableOfId(id: string): string | null {
    const decoded = decodeDocumentId(id);
    if (decoded === null) return null;
    return this.options.tables.nameOf(decoded.tableNumber);
  }

  /** The number of a table that exists (has been written to or declared), if any. */
  tableNumber(table: string): number | undefined {
    return this.options.tables.existingNumberOf(table);
  }

  private assertOpen(): void {
    if (this.state !== "open") {
      throw new Error(`Transaction is ${this.state}; it can no longer be used.`);
    }
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.options.readOnly) {
      throw new FunctionFailure(
        "Write operations are not allowed in queries (this function is a query).",
      );
    }
  }

  /** What this transaction used of its limits so far (`ctx.meta.getTransactionMetrics()`). */
  usage(): {
    documentsRead: number;
    bytesRead: number;
    documentsWritten: number;
    bytesWritten: number;
  } {
    return {
      documentsRead: this.documentsRead,
      bytesRead: this.bytesRead,
      documentsWritten: this.writes.size,
      bytesWritten: this.bytesWritten,
    };
  }

  /** Counts a document read against the transaction's limits. */
  countRead(document: StoredDocument): void {
    this.documentsRead++;
    this.bytesRead += document.json.length;
    checkReadLimits(this.documentsRead, this.bytesRead);
  }

  /** Reads a document by id at the snapshot, overlaid with this transaction's writes. */
  get(id: string, table: string): StoredDocument | null {
    this.assertOpen();
    this.readSet.addPoint(`${table}.by_id`, idKey(id));
    checkIntervalLimit(this.readSet.intervalCount());
    const buffered = this.writes.get(id);
    const document =
      buffered !== undefined ? buffered.after : this.options.store.get(id, this.beginTs);
    if (document !== null && document.table !== table) return null;
    if (document !== null) this.countRead(document);
    return document;
  }

  /** Inserts a new document; `fields` are user fields (no system fields). Returns the new id. */
  insert(table: string, fields: DocumentValue): string {
    this.assertWritable();
    const number = this.options.tables.numberOf(table);
    const id = generateDocumentId(number, randomBytesFromPool(16));
    const creationTime = this.options.tables.nextCreationTime(table, this.options.nowMs);
    const document = storedDocument(id, table, { ...fields, _id: id, _creationTime: creationTime });
    this.stage(id, table, null, document);
    return id;
  }

  /** Replaces a document's user fields, keeping its system fields. */
  replace(
    id: string,
    table: string,
    current: StoredDocument,
    fields: DocumentValue,
  ): StoredDocument {
    this.assertWritable();
    const { _id, _creationTime } = current.value;
    const document = storedDocument(id, table, {
      ...fields,
      _id: _id as Value,
      _creationTime: _creationTime as Value,
    });
    this.stage(id, table, current, document);
    return document;
  }

  /** Deletes a document. */
  delete(id: string, table: string, current: StoredDocument): void {
    this.assertWritable();
    this.stage(id, table, current, null);
  }

  private stage(
    id: string,
    table: string,
    current: StoredDocument | null,
    next: StoredDocument | null,
  ): void {
    if (next !== null) {
      const problem = this.options.checkWrite(table, next.value);
      if (problem !== null) throw new FunctionFailure(problem);
      this.bytesWritten += next.json.length;
      checkBytesWritten(this.bytesWritten);
    }
    const existing = this.writes.get(id);
    if (existing !== undefined) {
      existing.after = next;
      return;
    }
    checkDocumentsWritten(this.writes.size);
    this.writes.set(id, { table, before: current, after: next });
  }

  /** The buffered writes of `table` (for scans that must see the transaction's own writes). */
  writesOf(table: string): Iterable<[string, BufferedWrite]> {
    return writesOfTable(this.writes, table);
  }

  /** A restore point for a nested `ctx.runMutation` (its writes roll back alone if it fails). */
  checkpoint(): WriteBuffer {
    return checkpointOf(this.writes);
  }

  /** Rolls the write buffer back to `checkpoint`. */
  restore(checkpoint: WriteBuffer): void {
    restoreTo(this.writes, checkpoint);
  }

  /** True when `id` was written (inserted, changed or deleted) by this transaction. */
  wrote(id: string): boolean {
    return this.writes.has(id);
  }

  /** Starts a scan of `index` over `interval`; its consumed range joins the read set. */
  scan(index: MvccIndex, interval: Interval, order: "asc" | "desc"): IndexScan {
    this.assertOpen();
    const scan = new IndexScan(this, index, interval, order);
    this.scans.add(scan);
    return scan;
  }

  /** Folds the consumed range of a finished or abandoned scan into the read set. */
  finishScan(scan: IndexScan): void {
    if (!this.scans.delete(scan)) return;
    const interval = scan.consumedInterval();
    if (interval !== null) this.readSet.addInterval(scan.index.name, interval);
    checkIntervalLimit(this.readSet.intervalCount());
  }

  /** Closes every open scan (their consumed ranges join the read set). */
  private finishAllScans(): void {
    for (const scan of [...this.scans]) this.finishScan(scan);
  }

  /** The write set, as the committer takes it. */
  documentWrites(): DocumentWrite[] {
    return documentWritesOf(this.writes);
  }

  /** Ends a read-only execution (a query): returns the final read set. */
  finishRead(): ReadSet {
    this.finishAllScans();
    if (this.state === "open") this.state = "committed";
    this.options.committer.closeSnapshot(this.beginTs);
    return this.readSet;
  }

  /** Commits; resolves with the commit timestamp. Rejects with ConflictError on an OCC conflict. */
  async commit(): Promise<Timestamp> {
    this.assertOpen();
    this.finishAllScans();
    this.state = "committing";
    try {
      const ts = await this.options.committer.commit(
        this.beginTs,
        this.readSet,
        this.documentWrites(),
      );
      this.state = "committed";
      return ts;
    } catch (error) {
      this.state = error instanceof ConflictError ? "conflicted" : "aborted";
      throw error;
    } finally {
      this.options.committer.closeSnapshot(this.beginTs);
      this.ended();
    }
  }

  /** Discards the transaction. */
  abort(): void {
    if (this.state !== "open") return;
    this.scans.clear();
    this.state = "aborted";
    this.options.committer.closeSnapshot(this.beginTs);
    this.ended();
  }

  /** Files stored and read in this transaction (`ctx.storage.store` / `get` in mutations). */
  get files(): FileUsage {
    return (this.fileUsage ??= { written: 0, writeBytes: 0, read: 0, readBytes: 0 });
  }

  /**
   * Runs `hook` once the transaction has ended, whichever way (what it wrote is then committed
   * or never will be): file storage drops the file a rolled-back `store` left behind.
   */
  onEnd(hook: () => void): void {
    (this.endHooks ??= []).push(hook);
  }

  private ended(): void {
    const hooks = this.endHooks;
    if (hooks === null) return;
    this.endHooks = null;
    for (const hook of hooks) hook();
  }
}
