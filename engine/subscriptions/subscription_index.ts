/**
 * The subscription index: for every index, the key ranges that live query results read, mapped
 * to those results. A commit stabs it with the old and new key of every document it wrote (in
 * every index of the table), which finds exactly the results it invalidates; other results are
 * never looked at, and indexes nobody subscribed to cost nothing.
 *
 * Most reads have one of two shapes, kept in hash maps so their cost does not grow with the
 * number of subscriptions:
 * - a point (`db.get`): `[k, k + 0x00)`, looked up by the written key itself;
 * - an equality prefix (`withIndex(q => q.eq(...))`): `[P, P + 0xFF)`, looked up by each tuple
 *   prefix of the written key.
 * Every other range (bounds, table scans) lives in an interval tree (O(log n + k) per stab).
 */
import type { IndexKey } from "../values/index_key.ts";
import type { IndexName, ReadSet } from "../transactions/read_set.ts";
import { IntervalTree, type IntervalEntry } from "./interval_tree.ts";
import { tupleBoundaries } from "./tuple_prefixes.ts";

type Slot =
  | { readonly kind: "tree"; readonly entry: IntervalEntry }
  | { readonly kind: "point" | "prefix"; readonly key: IndexKey };

/** A registration, to remove it later. */
export interface Registration<S> {
  readonly subscriber: S;
  readonly entries: readonly { readonly index: IndexName; readonly slot: Slot }[];
}

class IndexSubscriptions<S> {
  readonly tree = new IntervalTree<S>();
  readonly points = new Map<IndexKey, Set<S>>();
  readonly prefixes = new Map<IndexKey, Set<S>>();
  /** Registered ranges, all three kinds together. */
  size = 0;
}

function addTo<S>(map: Map<IndexKey, Set<S>>, key: IndexKey, subscriber: S): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(subscriber);
}

function removeFrom<S>(map: Map<IndexKey, Set<S>>, key: IndexKey, subscriber: S): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(subscriber);
  if (set.size === 0) map.delete(key);
}

/** True when `start` is a whole encoded tuple (so `[start, start + 0xFF)` is an equality prefix). */
function isWholeTuple(start: IndexKey): boolean {
  if (start === "") return true;
  const boundaries = tupleBoundaries(start);
  return boundaries[boundaries.length - 1] === start.length;
}

export class SubscriptionIndex<S> {
  private readonly byIndex = new Map<IndexName, IndexSubscriptions<S>>();

  /** Registers `subscriber` as depending on everything in `readSet`. */
  add(subscriber: S, readSet: ReadSet): Registration<S> {
    const entries: { index: IndexName; slot: Slot }[] = [];
    for (const [index, intervals] of readSet.entries()) {
      let subscriptions = this.byIndex.get(index);
      if (subscriptions === undefined) {
        subscriptions = new IndexSubscriptions<S>();
        this.byIndex.set(index, subscriptions);
      }
      for (const interval of intervals.list()) {
        const { start, end } = interval;
        if (end === `${start}\x00`) {
          addTo(subscriptions.points, start, subscriber);
          entries.push({ index, slot: { kind: "point", key: start } });
        } else if (end === `${start}\xff` && isWholeTuple(start)) {
          addTo(subscriptions.prefixes, start, subscriber);
          entries.push({ index, slot: { kind: "prefix", key: start } });
        } else {
          entries.push({
            index,
            slot: { kind: "tree", entry: subscriptions.tree.insert(interval, subscriber) },
          });
        }
        subscriptions.size++;
      }
    }
    return { subscriber, entries };
  }

  remove(registration: Registration<S>): void {
    for (const { index, slot } of registration.entries) {
      const subscriptions = this.byIndex.get(index);
      if (subscriptions === undefined) continue;
      switch (slot.kind) {
        case "tree":
          subscriptions.tree.delete(slot.entry);
          break;
        case "point":
          removeFrom(subscriptions.points, slot.key, registration.subscriber);
          break;
        case "prefix":
          removeFrom(subscriptions.prefixes, slot.key, registration.subscriber);
          break;
        default:
          slot satisfies never;
      }
      subscriptions.size--;
      if (subscriptions.size === 0) this.byIndex.delete(index);
    }
  }

  /** The subscribers whose read ranges contain any of the written keys. */
  invalidated(writes: ReadonlyMap<IndexName, readonly IndexKey[]>): Set<S> {
    const hit = new Set<S>();
    const add = (subscriber: S): void => {
      hit.add(subscriber);
    };
    for (const [index, keys] of writes) {
      const subscriptions = this.byIndex.get(index);
      if (subscriptions === undefined) continue;
      for (const key of keys) {
        subscriptions.points.get(key)?.forEach(add);
        if (subscriptions.prefixes.size > 0) {
          subscriptions.prefixes.get("")?.forEach(add);
          for (const boundary of tupleBoundaries(key))
            subscriptions.prefixes.get(key.slice(0, boundary))?.forEach(add);
        }
        if (subscriptions.tree.size > 0) subscriptions.tree.stab(key, add);
      }
    }
    return hit;
  }

  /** Number of registered read ranges, across indexes (for diagnostics and benchmarks). */
  intervalCount(): number {
    let count = 0;
    for (const subscriptions of this.byIndex.values()) count += subscriptions.size;
    return count;
  }
}
