/**
 * One search index as a multi-version inverted index, in memory beside the engine's other MVCC
 * indexes: term -> postings, each posting pointing at an indexed revision that records when it
 * was visible (`[from, to)` in commit timestamps). A reader at snapshot `ts` sees the revisions
 * with `from <= ts < to`, so a search reads exactly the snapshot the rest of its function reads.
 * Ending a revision is one write (`to`), shared by all of its postings; postings of revisions no
 * snapshot can see any more are dropped by `collectGarbage`.
 */
import BTreeModule from "sorted-btree";
import type { StoredDocument, Timestamp } from "../storage/types.ts";
import { indexRevision, type IndexedRevision } from "./analysis.ts";
import type { TextIndexDefinition } from "./definitions.ts";

const BTree: typeof BTreeModule.default =
  typeof BTreeModule === "function" ? BTreeModule : BTreeModule.default;

export interface Posting {
  readonly revision: IndexedRevision;
  readonly frequency: number;
}

/** Corpus statistics from `ts` on: document count and total field length. */
interface Stats {
  readonly ts: Timestamp;
  readonly documents: number;
  readonly totalLength: number;
}

/** True when `revision` is visible at snapshot `ts`. */
export function visibleAt(revision: IndexedRevision, ts: Timestamp): boolean {
  return revision.from <= ts && (revision.to === null || ts < revision.to);
}

export class TextIndex {
  /** Term -> postings (a hash map: the hot path looks terms up one by one). */
  private readonly postings = new Map<string, Posting[]>();
  /** The same terms in order, for prefix expansion. */
  private readonly sortedTerms = new BTree<string, undefined>();
  private readonly current = new Map<string, IndexedRevision>();
  /**
   * The newest timestamp written. A snapshot at or after it sees exactly the revisions not ended
   * (`to === null`), which spares the hot loop its BigInt comparisons.
   */
  lastWriteTs: Timestamp = 0n;
  /** Every revision by slot (dropped ones become undefined). */
  private readonly bySlot: (IndexedRevision | undefined)[] = [];
  private stats: Stats[] = [{ ts: 0n, documents: 0, totalLength: 0 }];
  /** Ended revisions, in the order they ended (so in `to` order); before `garbageHead`: done. */
  private garbage: IndexedRevision[] = [];
  private garbageHead = 0;

  constructor(readonly definition: TextIndexDefinition) {}

  /** Replaces the revision of `docId` with `document` (null: deleted) from `ts` on. */
  write(docId: string, document: StoredDocument | null, ts: Timestamp): void {
    if (ts > this.lastWriteTs) this.lastWriteTs = ts;
    const previous = this.current.get(docId);
    let { documents, totalLength } = this.latestStats();
    if (previous !== undefined) {
      previous.to = ts;
      this.garbage.push(previous);
      this.current.delete(docId);
      documents--;
      totalLength -= previous.length;
    }
    if (document !== null) {
      const revision = indexRevision(this.definition, document, ts);
      revision.slot = this.bySlot.length;
      this.bySlot.push(revision);
      this.current.set(docId, revision);
      for (const [term, frequency] of revision.terms) {
        const list = this.postings.get(term);
        if (list === undefined) {
          this.postings.set(term, [{ revision, frequency }]);
          this.sortedTerms.set(term, undefined);
        } else {
          list.push({ revision, frequency });
        }
      }
      documents++;
      totalLength += revision.length;
    }
    const last = this.stats[this.stats.length - 1];
    if (last !== undefined && last.ts === ts) this.stats.pop();
    this.stats.push({ ts, documents, totalLength });
  }

  private latestStats(): Stats {
    return this.stats[this.stats.length - 1] ?? { ts: 0n, documents: 0, totalLength: 0 };
  }

  /** Document count and average field length at `ts`. */
  statsAt(ts: Timestamp): { documents: number; averageLength: number } {
    let lo = 0;
    let hi = this.stats.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.stats[mid]?.ts ?? 0n) <= ts) lo = mid + 1;
      else hi = mid;
    }
    const stats = this.stats[lo - 1] ?? { documents: 0, totalLength: 0 };
    const averageLength = stats.documents === 0 ? 1 : stats.totalLength / stats.documents;
    return { documents: stats.documents, averageLength: Math.max(averageLength, 1) };
  }

  /** Calls `visit` with every posting of `term` visible at `ts`; returns how many. */
  forEachPosting(
    term: string,
    ts: Timestamp,
    visit: (revision: IndexedRevision, frequency: number) => void,
  ): number {
    const list = this.postings.get(term);
    if (list === undefined) return 0;
    let count = 0;
    for (const posting of list) {
      if (!visibleAt(posting.revision, ts)) continue;
      count++;
      visit(posting.revision, posting.frequency);
    }
    return count;
  }

  /** The postings of `term`, all versions (filter with `visibleAt`); do not modify. */
  postingsOf(term: string): readonly Posting[] {
    return this.postings.get(term) ?? [];
  }

  /** Up to `max` indexed terms starting with `prefix`, in ascending order. */
  termsWithPrefix(prefix: string, max: number): string[] {
    const found: string[] = [];
    let pair = this.sortedTerms.getPairOrNextHigher(prefix);
    while (pair !== undefined && found.length < max && pair[0].startsWith(prefix)) {
      found.push(pair[0]);
      pair = this.sortedTerms.nextHigherPair(pair[0]);
    }
    return found;
  }

  /** Drops postings of revisions that ended at or before `oldestReadTs`. */
  collectGarbage(oldestReadTs: Timestamp): void {
    const dead: IndexedRevision[] = [];
    for (;;) {
      const revision = this.garbage[this.garbageHead];
      if (revision === undefined || revision.to === null || revision.to > oldestReadTs) break;
      dead.push(revision);
      this.garbageHead++;
    }
    if (this.garbageHead > 4096 && this.garbageHead * 2 > this.garbage.length) {
      this.garbage = this.garbage.slice(this.garbageHead);
      this.garbageHead = 0;
    }
    if (dead.length === 0) return;
    const deadSet = new Set(dead);
    for (const revision of dead) this.bySlot[revision.slot] = undefined;
    const terms = new Set<string>();
    for (const revision of dead) for (const term of revision.terms.keys()) terms.add(term);
    for (const term of terms) {
      const list = this.postings.get(term);
      if (list === undefined) continue;
      const kept = list.filter((posting) => !deadSet.has(posting.revision));
      if (kept.length === 0) {
        this.postings.delete(term);
        this.sortedTerms.delete(term);
      } else {
        this.postings.set(term, kept);
      }
    }
    let firstKept = 0;
    while (
      firstKept + 1 < this.stats.length &&
      (this.stats[firstKept + 1]?.ts ?? 0n) <= oldestReadTs
    ) {
      firstKept++;
    }
    if (firstKept > 0) this.stats = this.stats.slice(firstKept);
  }

  /** The revision numbered `slot`. */
  revisionAt(slot: number): IndexedRevision | undefined {
    return this.bySlot[slot];
  }

  /** One more than the highest slot handed out (the size of a dense score array). */
  get slotCount(): number {
    return this.bySlot.length;
  }

  /** Number of live documents indexed (diagnostics, progress). */
  get size(): number {
    return this.current.size;
  }
}
