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
  | { readonly kind: "point"; readonly key: IndexKey }
  | { readonly kind: "prefix"; readonly key: IndexKey; readonly arity: number };

/** One subscriber, or several: most keys have one, and a bare value saves a hop per lookup. */
type Subscribers<S> = S | Set<S>;

/** A registration, to remove it later. */
export interface Registration<S> {
  readonly subscriber: S;
  readonly entries: readonly { readonly index: IndexName; readonly slot: Slot }[];
}

class IndexSubscriptions<S> {
  readonly tree = new IntervalTree<S>();
  readonly points = new Map<IndexKey, Subscribers<S>>();
  readonly prefixes = new Map<IndexKey, Subscribers<S>>();
  /** How many prefix ranges have each arity (number of values): only those arities are probed. */
  readonly prefixArities = new Map<number, number>();
  /** Registered ranges, all three kinds together. */
  size = 0;
}

function addTo<S>(map: Map<IndexKey, Subscribers<S>>, key: IndexKey, subscriber: S): void {
  const existing = map.get(key);
  if (existing === undefined) map.set(key, subscriber);
  else if (existing instanceof Set) existing.add(subscriber);
  else if (existing !== subscriber) map.set(key, new Set([existing, subscriber]));
}

function removeFrom<S>(map: Map<IndexKey, Subscribers<S>>, key: IndexKey, subscriber: S): void {
  const existing = map.get(key);
  if (existing === undefined) return;
  if (existing instanceof Set) {
    existing.delete(subscriber);
    if (existing.size === 1) map.set(key, existing.values().next().value as S);
  } else if (existing === subscriber) {
    map.delete(key);
  }
}

function visit<S>(subscribers: Subscribers<S> | undefined, add: (subscriber: S) => void): void {
  if (subscribers === undefined) return;
  if (subscribers instanceof Set) subscribers.forEach(add);
  else add(subscribers);
}

/**
 * The number of values in `start` when it is a whole encoded tuple (so `[start, start + 0xFF)`
 * is an equality prefix), else null.
 */
function tupleArity(start: IndexKey): number | null {
  if (start === "") return 0;
  const boundaries = tupleBoundaries(start);
  return boundaries[boundaries.length - 1] === start.length ? boundaries.length : null;
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
        const arity = end === `${start}\xff` ? tupleArity(start) : null;
        if (end === `${start}\x00`) {
          addTo(subscriptions.points, start, subscriber);
          entries.push({ index, slot: { kind: "point", key: start } });
        } else if (arity !== null) {
          addTo(subscriptions.prefixes, start, subscriber);
          subscriptions.prefixArities.set(arity, (subscriptions.prefixArities.get(arity) ?? 0) + 1);
          entries.push({ index, slot: { kind: "prefix", key: start, arity } });
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
        case "prefix": {
          removeFrom(subscriptions.prefixes, slot.key, registration.subscriber);
          const left = (subscriptions.prefixArities.get(slot.arity) ?? 1) - 1;
          if (left === 0) subscriptions.prefixArities.delete(slot.arity);
          else subscriptions.prefixArities.set(slot.arity, left);
          break;
        }
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
    const add = hit.add.bind(hit); // bound, not a named closure: tsx's keepNames names those per call
    for (const [index, keys] of writes) {
      const subscriptions = this.byIndex.get(index);
      if (subscriptions === undefined) continue;
      for (const key of keys) {
        if (subscriptions.points.size > 0) visit(subscriptions.points.get(key), add);
        if (subscriptions.prefixArities.size > 0) {
          if (subscriptions.prefixArities.has(0)) visit(subscriptions.prefixes.get(""), add);
          const boundaries = tupleBoundaries(key);
          for (const arity of subscriptions.prefixArities.keys()) {
            const boundary = boundaries[arity - 1];
            if (boundary !== undefined)
              visit(subscriptions.prefixes.get(key.slice(0, boundary)), add);
          }
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
