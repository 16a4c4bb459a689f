/**
 * BM25 ranking of a search at the transaction's snapshot (k1 = 1.2, b = 0.75, Tantivy's
 * defaults), with the transaction's own writes overlaid: documents it wrote are scored from their
 * new revision (or dropped, if deleted). A document matches when it has at least one query term
 * (the last one also as a prefix, expansions weighted 0.5) and every equality filter.
 * Order: score descending, then newest first, then id.
 */
import type { StoredDocument } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import type { IndexKey } from "../values/index_key.ts";
import type { QueryTerm } from "./read_keys.ts";
import { indexRevision, type IndexedRevision } from "./analysis.ts";
import { visibleAt, type TextIndex } from "./text_index.ts";

const K1 = 1.2;
const B = 0.75;
/** Weight of a term that only matches the last query term as a prefix. */
const PREFIX_WEIGHT = 0.5;
/** Indexed terms a prefix expands to at most (Convex's `MAX_PREFIX_MATCHES_PER_QUERY_TERM`). */
const MAX_PREFIX_EXPANSIONS = 16;

/** A checked search: its index, its terms (the last one a prefix) and its equality filters. */
export interface CompiledSearch {
  readonly index: TextIndex;
  readonly terms: readonly QueryTerm[];
  readonly eqs: readonly { position: number; value: IndexKey }[];
}

export interface Candidate {
  readonly document: StoredDocument;
  readonly score: number;
  readonly creationTime: number;
}

/** Query terms as matched in the index: term -> weight. */
function matchedTerms(search: CompiledSearch): Map<string, number> {
  const weights = new Map<string, number>();
  for (const term of search.terms) weights.set(term.text, 1);
  const last = search.terms[search.terms.length - 1];
  if (last !== undefined && last.prefix) {
    for (const expansion of search.index.termsWithPrefix(last.text, MAX_PREFIX_EXPANSIONS)) {
      if (!weights.has(expansion)) weights.set(expansion, PREFIX_WEIGHT);
    }
  }
  return weights;
}

function passesFilters(revision: IndexedRevision, search: CompiledSearch): boolean {
  return search.eqs.every(({ position, value }) => revision.filters[position] === value);
}

/**
 * The scored entries that can rank among the best `limit` (all of them when there are fewer; a
 * few more on ties): selecting by a threshold score costs one typed-array sort of the scores,
 * far less than sorting every matching document with its tie-breakers.
 */
function best<T extends { score: number }>(entries: Iterable<T>, limit: number): T[] {
  const all = [...entries];
  if (all.length <= limit) return all;
  const scores = Float64Array.from(all, (entry) => entry.score).sort();
  const threshold = scores[scores.length - limit] as number;
  return all.filter((entry) => entry.score >= threshold);
}

/**
 * The matching documents, ranked best first: all of them, or (with `limit`) at least the best
 * `limit` and at most a few more on tied scores, so a caller can tell whether more than `limit - 1`
 * matched.
 */
export function rank(tx: Transaction, search: CompiledSearch, limit = Infinity): Candidate[] {
  const ts = tx.beginTs;
  const { documents, averageLength } = search.index.statsAt(ts);
  const weights = matchedTerms(search);
  // Scores accumulate in a dense array by revision slot: far cheaper than a map of objects when
  // a common term has postings in most of the index.
  const scores = new Float64Array(search.index.slotCount);
  const touched: number[] = [];
  const idfs = new Map<string, number>();
  const termScore = (revision: IndexedRevision, frequency: number, weight: number, idf: number) =>
    (weight * idf * frequency * (K1 + 1)) /
    (frequency + K1 * (1 - B + (B * revision.length) / averageLength));
  const latest = ts >= search.index.lastWriteTs;
  const own = new Set<string>();
  for (const [id] of tx.writesOf(search.index.definition.table)) own.add(id);
  const filtered = search.eqs.length > 0;
  for (const [term, weight] of weights) {
    const postings = search.index.postingsOf(term);
    let df = 0;
    for (const { revision } of postings) {
      if (latest ? revision.to === null : visibleAt(revision, ts)) df++;
    }
    const idf = Math.log(1 + (documents - df + 0.5) / (df + 0.5));
    idfs.set(term, idf);
    for (const { revision, frequency } of postings) {
      if (latest ? revision.to !== null : !visibleAt(revision, ts)) continue;
      if (own.size > 0 && own.has(revision.docId)) continue;
      if (filtered && !passesFilters(revision, search)) continue;
      const previous = scores[revision.slot] as number;
      if (previous === 0) touched.push(revision.slot);
      scores[revision.slot] = previous + termScore(revision, frequency, weight, idf);
    }
  }
  const scored = touched.map((slot) => ({ slot, score: scores[slot] as number }));
  const candidates: Candidate[] = [];
  for (const { slot, score } of best(scored, limit)) {
    const revision = search.index.revisionAt(slot) as IndexedRevision;
    const document = tx.store.get(revision.docId, ts);
    if (document !== null)
      candidates.push({ document, score, creationTime: revision.creationTime });
  }
  candidates.push(...ownWrites(tx, search, weights, idfs, termScore));
  return candidates.sort(
    (a, b) =>
      b.score - a.score ||
      b.creationTime - a.creationTime ||
      (a.document.id < b.document.id ? -1 : a.document.id > b.document.id ? 1 : 0),
  );
}

/** The transaction's own inserted or changed documents that match, scored alike. */
function ownWrites(
  tx: Transaction,
  search: CompiledSearch,
  weights: ReadonlyMap<string, number>,
  idfs: ReadonlyMap<string, number>,
  termScore: (revision: IndexedRevision, frequency: number, weight: number, idf: number) => number,
): Candidate[] {
  const candidates: Candidate[] = [];
  const last = search.terms[search.terms.length - 1];
  const { documents } = search.index.statsAt(tx.beginTs);
  const unseenIdf = Math.log(1 + (documents + 0.5) / 1.5);
  for (const [, write] of tx.writesOf(search.index.definition.table)) {
    if (write.after === null) continue;
    const revision = indexRevision(search.index.definition, write.after, tx.beginTs);
    if (!passesFilters(revision, search)) continue;
    let score = 0;
    let matched = false;
    for (const [token, frequency] of revision.terms) {
      const weight =
        weights.get(token) ?? (last?.prefix === true && token.startsWith(last.text) ? 0.5 : 0);
      if (weight === 0) continue;
      matched = true;
      score += termScore(revision, frequency, weight, idfs.get(token) ?? unseenIdf);
    }
    if (matched)
      candidates.push({ document: write.after, score, creationTime: revision.creationTime });
  }
  return candidates;
}
