/**
 * One index as a multi-version sorted map: index key -> the versions of that entry.
 *
 * Keys end with the document id, so a key belongs to exactly one document; its versions record
 * when the entry existed (`[from, to)` in commit timestamps). A reader at snapshot `ts` sees
 * the versions with `from <= ts < to`. Readers walk it with cursors (`after`/`before` a key),
 * never with live iterators, so commits may land between two steps of a scan.
 */
import BTreeModule from "sorted-btree";
import { compareIndexKeys, type IndexKey } from "../values/index_key.ts";
import type { Interval } from "../values/index_key.ts";
import type { Timestamp } from "./types.ts";

// sorted-btree ships CommonJS with `exports.default`: Node puts the class one level down, while
// bundlers' interop (vitest) hands out the class itself.
const BTree: typeof BTreeModule.default =
  typeof BTreeModule === "function" ? BTreeModule : BTreeModule.default;
type Tree = BTreeModule.default<IndexKey, EntryVersion[]>;

interface EntryVersion {
  readonly docId: string;
  readonly from: Timestamp;
  to: Timestamp | null;
}

/** An index entry visible at some snapshot. */
export interface IndexEntry {
  readonly key: IndexKey;
  readonly docId: string;
}

function visibleAt(versions: readonly EntryVersion[], ts: Timestamp): EntryVersion | undefined {
  for (let i = versions.length - 1; i >= 0; i--) {
    const version = versions[i];
    if (version !== undefined && version.from <= ts && (version.to === null || ts < version.to)) {
      return version;
    }
  }
  return undefined;
}

export class MvccIndex {
  // Keys are strings: compared as such (the library's default comparator first tests for numbers
  // and types, on every comparison of every descent).
  private readonly tree: Tree = new BTree<IndexKey, EntryVersion[]>(undefined, compareIndexKeys);

  /**
   * @param name `table.index`
   * @param fields the indexed field paths, ending with `_creationTime` and `_id`
   */
  constructor(
    readonly name: string,
    readonly fields: readonly string[],
  ) {}

  /** Adds `key` for `docId`, visible from `ts` on. */
  insert(key: IndexKey, docId: string, ts: Timestamp): void {
    const version = { docId, from: ts, to: null };
    // One descent for a new key (the common case: keys end with the document id).
    if (!this.tree.set(key, [version], false)) this.tree.get(key)?.push(version);
  }

  /** Ends the visibility of `key` at `ts`. */
  remove(key: IndexKey, ts: Timestamp): void {
    const versions = this.tree.get(key);
    const open = versions?.find((version) => version.to === null);
    if (open !== undefined) open.to = ts;
  }

  /** Drops versions that ended at or before `ts` (no reader can see them any more). */
  prune(key: IndexKey, ts: Timestamp): void {
    const versions = this.tree.get(key);
    if (versions === undefined) return;
    const kept = versions.filter((version) => version.to === null || version.to > ts);
    if (kept.length === 0) this.tree.delete(key);
    else if (kept.length !== versions.length) this.tree.set(key, kept);
  }

  /**
   * The first entry visible at `ts` inside `interval`, strictly after `after` (or from the
   * interval's start when `after` is undefined), in ascending key order.
   */
  nextAscending(interval: Interval, after: IndexKey | undefined, ts: Timestamp): IndexEntry | null {
    let pair =
      after === undefined
        ? this.tree.getPairOrNextHigher(interval.start)
        : this.tree.nextHigherPair(after);
    while (pair !== undefined) {
      const [key, versions] = pair;
      if (interval.end !== null && key >= interval.end) return null;
      const version = visibleAt(versions, ts);
      if (version !== undefined) return { key, docId: version.docId };
      pair = this.tree.nextHigherPair(key);
    }
    return null;
  }

  /**
   * The first entry visible at `ts` inside `interval`, strictly before `before` (or from the
   * interval's end when `before` is undefined), in descending key order.
   */
  nextDescending(
    interval: Interval,
    before: IndexKey | undefined,
    ts: Timestamp,
  ): IndexEntry | null {
    let pair =
      before !== undefined
        ? this.tree.nextLowerPair(before)
        : interval.end === null
          ? this.tree.nextLowerPair(undefined)
          : this.tree.nextLowerPair(interval.end);
    while (pair !== undefined) {
      const [key, versions] = pair;
      if (key < interval.start) return null;
      const version = visibleAt(versions, ts);
      if (version !== undefined) return { key, docId: version.docId };
      pair = this.tree.nextLowerPair(key);
    }
    return null;
  }

  /** Number of keys held (all versions), for diagnostics. */
  get keyCount(): number {
    return this.tree.size;
  }
}
