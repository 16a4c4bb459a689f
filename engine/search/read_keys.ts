/**
 * Search reads and writes as keys of the engine's read sets, so OCC and the subscription index
 * handle searches with their ordinary interval machinery (no search-specific hook there).
 *
 * A search index `t.i` gets a keyspace of its own, named `t.i` like the index. Every revision a
 * commit writes (old and new) yields, for each covered subset S of the filter fields,
 * `(S, values of S, token)` for each distinct token of its search field, plus `(S, values of S)`.
 * A search with equality filters on S and terms T reads, under S, the point of each exact term and
 * the byte range of the last (prefix) term. So a write reruns a search exactly when its document
 * matches all the filters of S and one of the terms, as Convex's `QueryReads` decide.
 *
 * Covered subsets: the empty one, each filter field, and each pair when the index has at most 4
 * filter fields (so a document costs at most 11 keys per token). A search filtering on more fields
 * than that reads under the first one or two: it may rerun for a write that matches those but not
 * the others (never the reverse).
 */
import { encodeIndexKey, encodeValue, keySuccessor, type IndexKey } from "../values/index_key.ts";
import type { Interval } from "../transactions/interval_set.ts";
import type { IndexedRevision } from "./analysis.ts";

/** Indexes with at most this many filter fields get pair keys as well. */
const MAX_FIELDS_FOR_PAIRS = 4;
/** Above every UTF-8 byte (0xF5..0xFF never occur): ends a byte-prefix range of one token. */
const ABOVE_UTF8 = "\xf5";

/** The filter-field subsets (positions, ascending) a document's keys cover. */
export function coveredSubsets(filterCount: number): number[][] {
  const subsets: number[][] = [[]];
  for (let i = 0; i < filterCount; i++) subsets.push([i]);
  if (filterCount <= MAX_FIELDS_FOR_PAIRS) {
    for (let i = 0; i < filterCount; i++) {
      for (let j = i + 1; j < filterCount; j++) subsets.push([i, j]);
    }
  }
  return subsets;
}

/** The encoded label of each subset, computed once per subset shape. */
const labels = new Map<string, IndexKey>();

function subsetPrefix(subset: readonly number[], values: readonly IndexKey[]): IndexKey {
  const name = subset.join(",");
  let label = labels.get(name);
  if (label === undefined) {
    label = encodeIndexKey([name]);
    labels.set(name, label);
  }
  return values.length === 0 ? label : label + values.join("");
}

/** The keys a written revision touches in its index's keyspace. */
export function revisionKeys(revision: IndexedRevision, subsets: readonly number[][]): IndexKey[] {
  const keys: IndexKey[] = [];
  const tokens = [...revision.terms.keys()].map((token) => encodeValue(token));
  for (const subset of subsets) {
    const prefix = subsetPrefix(
      subset,
      subset.map((position) => revision.filters[position] ?? ""),
    );
    keys.push(prefix);
    for (const token of tokens) keys.push(prefix + token);
  }
  return keys;
}

/** One query term: exact, or (the last one) also a prefix. */
export interface QueryTerm {
  readonly text: string;
  readonly prefix: boolean;
}

/**
 * The intervals a search reads: `eqs` are (filter position, encoded value) pairs, `terms` its
 * tokens. With no term, the whole range of its filter values (Convex reruns such a search on any
 * write that matches its filters).
 */
export function searchIntervals(
  filterCount: number,
  eqs: readonly { position: number; value: IndexKey }[],
  terms: readonly QueryTerm[],
): Interval[] {
  const byPosition = new Map<number, IndexKey>();
  for (const eq of eqs) if (!byPosition.has(eq.position)) byPosition.set(eq.position, eq.value);
  const positions = [...byPosition.keys()].sort((a, b) => a - b);
  const usable = filterCount <= MAX_FIELDS_FOR_PAIRS ? 2 : 1;
  const subset = positions.slice(0, usable);
  const prefix = subsetPrefix(
    subset,
    subset.map((position) => byPosition.get(position) ?? ""),
  );
  if (terms.length === 0) return [{ start: prefix, end: prefix + "\xff" }];
  return terms.map((term) => {
    const encoded = encodeValue(term.text);
    if (!term.prefix) return { start: prefix + encoded, end: keySuccessor(prefix + encoded) };
    // Without its terminator, the encoded token is a byte prefix of every longer token's encoding.
    const start = prefix + encoded.slice(0, -1);
    return { start, end: start + ABOVE_UTF8 };
  });
}
