/**
 * The subscription index: for every index, an interval tree from the key ranges that live query
 * results read to those results. A commit stabs it with the old and new key of every document
 * it wrote (in every index of the table), which finds exactly the results it invalidates; other
 * results are never looked at, and indexes nobody subscribed to cost nothing.
 */
import type { IndexKey } from "../values/index_key.ts";
import type { IndexName, ReadSet } from "../transactions/read_set.ts";
import { IntervalTree, type IntervalEntry } from "./interval_tree.ts";

/** A registration, to remove it later. */
export interface Registration<S> {
  readonly subscriber: S;
  readonly entries: readonly { readonly index: IndexName; readonly entry: IntervalEntry }[];
}

export class SubscriptionIndex<S> {
  private readonly trees = new Map<IndexName, IntervalTree<S>>();

  /** Registers `subscriber` as depending on everything in `readSet`. */
  add(subscriber: S, readSet: ReadSet): Registration<S> {
    const entries: { index: IndexName; entry: IntervalEntry }[] = [];
    for (const [index, intervals] of readSet.entries()) {
      let tree = this.trees.get(index);
      if (tree === undefined) {
        tree = new IntervalTree<S>();
        this.trees.set(index, tree);
      }
      for (const interval of intervals.list())
        entries.push({ index, entry: tree.insert(interval, subscriber) });
    }
    return { subscriber, entries };
  }

  remove(registration: Registration<S>): void {
    for (const { index, entry } of registration.entries) {
      const tree = this.trees.get(index);
      if (tree === undefined) continue;
      tree.delete(entry);
      if (tree.size === 0) this.trees.delete(index);
    }
  }

  /** The subscribers whose read ranges contain any of the written keys. */
  invalidated(writes: ReadonlyMap<IndexName, readonly IndexKey[]>): Set<S> {
    const hit = new Set<S>();
    for (const [index, keys] of writes) {
      const tree = this.trees.get(index);
      if (tree === undefined) continue;
      for (const key of keys) tree.stab(key, (subscriber) => hit.add(subscriber));
    }
    return hit;
  }

  /** Number of registered intervals, across indexes (for diagnostics and benchmarks). */
  intervalCount(): number {
    let count = 0;
    for (const tree of this.trees.values()) count += tree.size;
    return count;
  }
}
