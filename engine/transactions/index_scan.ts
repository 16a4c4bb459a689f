/**
 * Index range scans inside a transaction: a cursor at the transaction's snapshot merged with the
 * transaction's own buffered writes, whose consumed range becomes part of the read set when it
 * ends (so only what was actually walked can conflict). Apart from the transaction, which owns
 * the snapshot, the buffer and the read set the scan reads and reports to.
 */
import { indexKeyOfStored } from "../storage/document_store.ts";
import type { MvccIndex } from "../storage/mvcc_index.ts";
import type { StoredDocument } from "../storage/types.ts";
import type { IndexKey } from "../values/index_key.ts";
import { intervalContains, type Interval } from "./interval_set.ts";
import type { Transaction } from "./transaction.ts";

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
