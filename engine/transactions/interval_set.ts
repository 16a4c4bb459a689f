/**
 * Sets of half-open intervals over index keys (latin1 byte strings, compared with `<`).
 *
 * An interval is `[start, end)`; `end === null` means unbounded above. There is no separate
 * minimum: the empty string is the smallest key. Intervals that overlap or touch are merged,
 * so the set is always a sorted list of disjoint, non-adjacent intervals.
 */
import type { IndexKey, Interval } from "../values/index_key.ts";

export type { Interval } from "../values/index_key.ts";

/** True when `key` lies in `interval`. */
export function intervalContains(interval: Interval, key: IndexKey): boolean {
  return key >= interval.start && (interval.end === null || key < interval.end);
}

/** True when the interval holds no key at all. */
export function isEmptyInterval(interval: Interval): boolean {
  return interval.end !== null && interval.end <= interval.start;
}

export class IntervalSet {
  /** Sorted by start, disjoint, non-adjacent. */
  private readonly intervals: Interval[] = [];

  get size(): number {
    return this.intervals.length;
  }

  /** The merged intervals, in key order. */
  list(): readonly Interval[] {
    return this.intervals;
  }

  /** Adds an interval, merging it with every interval it overlaps or touches. */
  add(interval: Interval): void {
    if (isEmptyInterval(interval)) return;
    let { start, end } = interval;
    // First interval whose end reaches `start` (could merge with the new one).
    let lo = 0;
    let hi = this.intervals.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const candidate = this.intervals[mid];
      if (candidate !== undefined && candidate.end !== null && candidate.end < start) lo = mid + 1;
      else hi = mid;
    }
    let last = lo;
    while (last < this.intervals.length) {
      const next = this.intervals[last];
      if (next === undefined || (end !== null && next.start > end)) break;
      if (next.start < start) start = next.start;
      if (end !== null && (next.end === null || next.end > end)) end = next.end;
      last++;
    }
    this.intervals.splice(lo, last - lo, { start, end });
  }

  /** True when some interval of the set contains `key`. O(log n). */
  contains(key: IndexKey): boolean {
    let lo = 0;
    let hi = this.intervals.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const candidate = this.intervals[mid];
      if (candidate !== undefined && candidate.start <= key) lo = mid + 1;
      else hi = mid;
    }
    const candidate = this.intervals[lo - 1];
    return candidate !== undefined && intervalContains(candidate, key);
  }
}
