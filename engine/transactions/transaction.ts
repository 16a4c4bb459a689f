/**
 * One execution's view of the database: a snapshot, a read set, and (for mutations) a buffer
 * of writes overlaid on the snapshot, so the function reads its own writes.
 *
 *   open --commit()--> committing --> committed
 *                          \--------> conflicted (read set overlapped a newer write: retry)
 *   open --abort()---> aborted (the function threw, or this was a query)
 */
import { randomBytesFromPool } from "../util/random_pool.ts";
import { jsonToConvex, type Value } from "convex/values";
import { FunctionFailure } from "../errors.ts";
import {
  idKey,
  indexKeyOfStored,
  storedDocument,
  type DocumentStore,
} from "../storage/document_store.ts";
import type { MvccIndex } from "../storage/mvcc_index.ts";
import type { TableRegistry } from "../storage/table_registry.ts";
import type { DocumentValue, DocumentWrite, StoredDocument, Timestamp } from "../storage/types.ts";
import { decodeDocumentId, generateDocumentId } from "../values/document_id.ts";
import type { IndexKey } from "../values/index_key.ts";
import { ConflictError } from "../errors.ts";
import type { Committer } from "./committer.ts";
import { intervalContains, type Interval } from "./interval_set.ts";
import { ReadSet } from "./read_set.ts";

export type TransactionState = "open" | "committing" | "committed" | "conflicted" | "aborted";

/** Convex's per-transaction limits (docs: production/state/limits). */
export const TRANSACTION_LIMITS = {
  documentsRead: 32_000,
  bytesRead: 16 * 1024 * 1024,
  intervalsRead: 4_096,
  documentsWritten: 16_000,
  bytesWritten: 16 * 1024 * 1024,
} as const;

const OVER_LIMIT_HELP =
  "Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.";

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

interface BufferedWrite {
  readonly table: string;
  readonly before: StoredDocument | null;
  after: StoredDocument | null;
}

export class Transaction {
  state: TransactionState = "open";
  readonly beginTs: Timestamp;
  readonly readSet = new ReadSet();
  private readonly writes = new Map<string, BufferedWrite>();
  private readonly scans = new Set<IndexScan>();
  private documentsRead = 0;
  private bytesRead = 0;
  private bytesWritten = 0;
  /** True once the transaction read the user identity (the query cache keys on it then). */
  observedIdentity = false;

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
    if (this.documentsRead > TRANSACTION_LIMITS.documentsRead) {
      throw new FunctionFailure(
        `Too many documents read in a single function execution (limit: ${TRANSACTION_LIMITS.documentsRead}). ${OVER_LIMIT_HELP}`,
      );
    }
    if (this.bytesRead > TRANSACTION_LIMITS.bytesRead) {
      throw new FunctionFailure(
        `Too many bytes read in a single function execution (limit: ${TRANSACTION_LIMITS.bytesRead} bytes). ${OVER_LIMIT_HELP}`,
      );
    }
  }

  /** Reads a document by id at the snapshot, overlaid with this transaction's writes. */
  get(id: string, table: string): StoredDocument | null {
    this.assertOpen();
    this.readSet.addPoint(`${table}.by_id`, idKey(id));
    this.checkIntervalLimit();
    const buffered = this.writes.get(id);
    const document =
      buffered !== undefined ? buffered.after : this.options.store.get(id, this.beginTs);
    if (document !== null && document.table !== table) return null;
    if (document !== null) this.countRead(document);
    return document;
  }

  private checkIntervalLimit(): void {
    if (this.readSet.intervalCount() > TRANSACTION_LIMITS.intervalsRead) {
      throw new FunctionFailure(
        `Too many reads in a single function execution (limit: ${TRANSACTION_LIMITS.intervalsRead}). ${OVER_LIMIT_HELP}`,
      );
    }
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
      if (this.bytesWritten > TRANSACTION_LIMITS.bytesWritten) {
        throw new FunctionFailure(
          `Too many bytes written in a single function execution (limit: ${TRANSACTION_LIMITS.bytesWritten} bytes).`,
        );
      }
    }
    const existing = this.writes.get(id);
    if (existing !== undefined) {
      existing.after = next;
      return;
    }
    if (this.writes.size >= TRANSACTION_LIMITS.documentsWritten) {
      throw new FunctionFailure(
        `Too many documents written in a single function execution (limit: ${TRANSACTION_LIMITS.documentsWritten}).`,
      );
    }
    this.writes.set(id, { table, before: current, after: next });
  }

  /** The buffered writes of `table` (for scans that must see the transaction's own writes). */
  writesOf(table: string): Iterable<[string, BufferedWrite]> {
    if (this.writes.size === 0) return []; // queries, and mutations before their first write
    const result: [string, BufferedWrite][] = [];
    for (const entry of this.writes) if (entry[1].table === table) result.push(entry);
    return result;
  }

  /** A restore point for a nested `ctx.runMutation` (its writes roll back alone if it fails). */
  checkpoint(): Map<string, BufferedWrite> {
    return new Map([...this.writes].map(([id, write]) => [id, { ...write }]));
  }

  /** Rolls the write buffer back to `checkpoint`. */
  restore(checkpoint: Map<string, BufferedWrite>): void {
    this.writes.clear();
    for (const [id, write] of checkpoint) this.writes.set(id, write);
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
    this.checkIntervalLimit();
  }

  /** Closes every open scan (their consumed ranges join the read set). */
  private finishAllScans(): void {
    for (const scan of [...this.scans]) this.finishScan(scan);
  }

  /** The write set, as the committer takes it. */
  documentWrites(): DocumentWrite[] {
    const writes: DocumentWrite[] = [];
    for (const [id, write] of this.writes) {
      if (write.before === null && write.after === null) continue; // inserted then deleted
      writes.push({ id, table: write.table, before: write.before, after: write.after });
    }
    return writes;
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
    }
  }

  /** Discards the transaction. */
  abort(): void {
    if (this.state !== "open") return;
    this.scans.clear();
    this.state = "aborted";
    this.options.committer.closeSnapshot(this.beginTs);
  }
}

/**
 * A cursor over one index range at the transaction's snapshot, merged with the transaction's
 * own writes. It remembers the last key it returned, so it survives commits between steps.
 */
export class IndexScan {
  private position: IndexKey | undefined;
  private exhausted = false;

  constructor(
    private readonly tx: Transaction,
    readonly index: MvccIndex,
    readonly interval: Interval,
    readonly order: "asc" | "desc",
  ) {}

  /** The next document in order, or null at the end of the range. */
  next(): StoredDocument | null {
    if (this.exhausted) return null;
    const table = this.index.name.slice(0, this.index.name.lastIndexOf("."));
    const ascending = this.order === "asc";
    // Next committed entry not shadowed by this transaction's writes.
    let committed: { key: IndexKey; document: StoredDocument } | null = null;
    let cursor = this.position;
    for (;;) {
      const entry = ascending
        ? this.index.nextAscending(this.interval, cursor, this.tx.beginTs)
        : this.index.nextDescending(this.interval, cursor, this.tx.beginTs);
      if (entry === null) break;
      cursor = entry.key;
      if (this.tx.wrote(entry.docId)) continue;
      const document = this.tx.store.get(entry.docId, this.tx.beginTs);
      if (document !== null) {
        committed = { key: entry.key, document };
        break;
      }
    }
    // Nearest of this transaction's own written documents in the range.
    let own: { key: IndexKey; document: StoredDocument } | null = null;
    for (const [, write] of this.tx.writesOf(table)) {
      if (write.after === null) continue;
      const key = indexKeyOfStored(write.after, this.index);
      if (!intervalContains(this.interval, key)) continue;
      if (
        this.position !== undefined &&
        (ascending ? key <= this.position : key >= this.position)
      ) {
        continue;
      }
      if (own === null || (ascending ? key < own.key : key > own.key)) {
        own = { key, document: write.after };
      }
    }
    let chosen = committed;
    if (
      own !== null &&
      (chosen === null || (ascending ? own.key < chosen.key : own.key > chosen.key))
    ) {
      chosen = own;
    }
    if (chosen === null) {
      this.exhausted = true;
      return null;
    }
    this.position = chosen.key;
    this.tx.countRead(chosen.document);
    return chosen.document;
  }

  /** The part of the range walked so far (all of it once exhausted), or null if nothing. */
  consumedInterval(): Interval | null {
    if (this.exhausted) return this.interval;
    if (this.position === undefined) return null;
    return this.order === "asc"
      ? { start: this.interval.start, end: this.position + "\x00" }
      : { start: this.position, end: this.interval.end };
  }

  /** Where the scan stands: the last key returned, or undefined before the first. */
  get lastKey(): IndexKey | undefined {
    return this.position;
  }

  /** Marks the range as fully consumed. */
  get isExhausted(): boolean {
    return this.exhausted;
  }
}

/** Decodes a convex-encoded JSON object into a document value, rejecting non-objects. */
export function decodeDocumentFields(json: unknown): DocumentValue {
  const value = jsonToConvex(json as never);
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    value instanceof ArrayBuffer
  ) {
    throw new FunctionFailure("A document must be an object.");
  }
  return value as DocumentValue;
}
