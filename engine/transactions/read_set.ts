/**
 * A transaction's read set: per index, the set of key intervals it actually consumed.
 *
 * `db.get(id)` records a point on the table's `by_id` index (even when the document is missing),
 * and an index scan records the part of its range it walked. Convex checks these intervals at
 * commit (OCC) and, for queries, uses them to decide which commits invalidate a result.
 */
import { keySuccessor, type IndexKey } from "../values/index_key.ts";
import { IntervalSet, type Interval } from "./interval_set.ts";

/** An index is named `table.index`, e.g. `orders.by_status`, `orders.by_id`. */
export type IndexName = string;

/** Keys a commit wrote, per index: the old and the new key of every written document. */
export type WriteKeys = ReadonlyMap<IndexName, readonly IndexKey[]>;

export class ReadSet {
  private readonly byIndex = new Map<IndexName, IntervalSet>();

  /** Records that the transaction depends on `interval` of `index`. */
  addInterval(index: IndexName, interval: Interval): void {
    let set = this.byIndex.get(index);
    if (set === undefined) {
      set = new IntervalSet();
      this.byIndex.set(index, set);
    }
    set.add(interval);
  }

  /** Records a point read (a `db.get`) of `key` in `index`. */
  addPoint(index: IndexName, key: IndexKey): void {
    this.addInterval(index, { start: key, end: keySuccessor(key) });
  }

  /** The indexes read, with their merged intervals. */
  entries(): IterableIterator<[IndexName, IntervalSet]> {
    return this.byIndex.entries();
  }

  /** The number of merged disjoint intervals across all indexes (Convex's "index ranges read"). */
  intervalCount(): number {
    let count = 0;
    for (const set of this.byIndex.values()) count += set.size;
    return count;
  }

  /**
   * The first written key that falls inside this read set, or null if the writes do not touch
   * anything read. Cost: O(writes × log intervals), only over indexes that were read.
   */
  firstOverlap(writes: WriteKeys): { index: IndexName; key: IndexKey } | null {
    for (const [index, set] of this.byIndex) {
      const keys = writes.get(index);
      if (keys === undefined) continue;
      for (const key of keys) if (set.contains(key)) return { index, key };
    }
    return null;
  }
}
