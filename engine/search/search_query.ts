/**
 * `withSearchIndex(index, q => q.search(field, text).eq(f, v)...)`: compiled with Convex's checks
 * and messages, run against the text index at the transaction's snapshot with the transaction's
 * own writes overlaid, ranked by BM25, and recorded in the read set (see read_keys.ts).
 */
import { stagedIndexText } from "../convex_messages.ts";
import { FunctionFailure } from "../errors.ts";
import { decodeLiteral } from "../runtime/filter_expression.ts";
import type { StoredDocument } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import { encodeIndexKey, encodeValue, type IndexKey } from "../values/index_key.ts";
import { searchIntervals } from "./read_keys.ts";
import { rank, type Candidate, type CompiledSearch } from "./ranking.ts";
import type { TextIndex } from "./text_index.ts";
import { tokenize } from "./tokenizer.ts";

/** Convex's limits on a text search (`crates/search/src/constants.rs`). */
export const SEARCH_LIMITS = {
  /** Further terms are ignored. */
  queryTerms: 16,
  filterConditions: 8,
  /** Candidates a search reads at most; reading past them fails. */
  candidates: 1024,
} as const;

export interface SerializedSearchSource {
  readonly type: "Search";
  readonly indexName: string;
  readonly filters: readonly unknown[];
}

function fail(message: string): never {
  throw new FunctionFailure(message);
}

function resolveIndex(tx: Transaction, name: string): TextIndex {
  const index = tx.store.search.textIndex(name);
  if (index !== undefined) return index;
  const declared = tx.store.search.declared(name);
  if (declared !== undefined && declared.staged) {
    fail(stagedIndexText(declared.table, name.slice(declared.table.length + 1)));
  }
  fail(`Index ${name} not found.`);
}

/** Checks and compiles a search source. @throws FunctionFailure with Convex's messages. */
export function compileSearch(tx: Transaction, source: SerializedSearchSource): CompiledSearch {
  const index = resolveIndex(tx, source.indexName);
  const { name, searchField, filterFields } = index.definition;
  let text: string | null = null;
  const eqs: { position: number; value: IndexKey }[] = [];
  for (const filter of source.filters as { type: string; fieldPath: string; value: unknown }[]) {
    if (filter.type === "Search") {
      if (filter.fieldPath !== searchField) {
        fail(
          `Search query against ${name} contains a search filter against "${filter.fieldPath}", which doesn't match the indexed \`searchField\` "${searchField}".`,
        );
      }
      if (text !== null) {
        fail(
          `Search query against ${name} contains multiple search filters against "${filter.fieldPath}". Only one is allowed.`,
        );
      }
      text = String(filter.value);
      continue;
    }
    const position = filterFields.indexOf(filter.fieldPath);
    if (position === -1) {
      fail(
        `Search query against ${name} contains an equality filter on "${filter.fieldPath}" but that field isn't indexed for filtering in \`filterFields\`.`,
      );
    }
    eqs.push({ position, value: encodeValue(decodeLiteral(filter.value)) });
  }
  if (text === null) {
    fail(
      `Search query against ${name} does not contain any search filters. You must include a search filter like \`q.search("${searchField}", searchText)\`.`,
    );
  }
  if (eqs.length > SEARCH_LIMITS.filterConditions) {
    fail(
      `Search query against ${name} has too many filter conditions. Max: ${SEARCH_LIMITS.filterConditions} Actual: ${eqs.length}`,
    );
  }
  const tokens = tokenize(text).slice(0, SEARCH_LIMITS.queryTerms);
  const terms = tokens.map((token, i) => ({ text: token, prefix: i === tokens.length - 1 }));
  return { index, terms, eqs };
}

/** A ranked search result with its position key (Convex's: -score, -creation time, id). */
export interface SearchHit {
  readonly document: StoredDocument;
  readonly key: IndexKey;
}

export interface SearchResults {
  /** The best candidates, at most `SEARCH_LIMITS.candidates`, best first. */
  readonly hits: readonly SearchHit[];
  /** True when more documents matched than the candidates kept. */
  readonly truncated: boolean;
}

/** Runs a compiled search at the transaction's snapshot and records what it read. */
export function runSearch(tx: Transaction, search: CompiledSearch): SearchResults {
  const definition = search.index.definition;
  for (const interval of searchIntervals(
    definition.filterFields.length,
    search.eqs,
    search.terms,
  )) {
    tx.readSet.addInterval(definition.name, interval);
  }
  if (search.terms.length === 0) return { hits: [], truncated: false };
  // One more than kept, to know whether more matched than the candidates kept.
  const ranked: Candidate[] = rank(tx, search, SEARCH_LIMITS.candidates + 1);
  const hits: SearchHit[] = [];
  for (const candidate of ranked.slice(0, SEARCH_LIMITS.candidates)) {
    hits.push({
      document: candidate.document,
      key: encodeIndexKey([-candidate.score, -candidate.creationTime, candidate.document.id]),
    });
  }
  return { hits, truncated: ranked.length > SEARCH_LIMITS.candidates };
}

/** Convex's error for reading past the candidates a search keeps. */
export function tooManyCandidatesText(): string {
  return `Search query scanned too many documents (fetched ${SEARCH_LIMITS.candidates}). Consider using a smaller limit, paginating the query, or using a filter field to limit the number of documents pulled from the search index.`;
}
