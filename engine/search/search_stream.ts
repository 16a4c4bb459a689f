/**
 * A search query being read: `for await`, `collect`, `take`, `first`, `unique` (a stream), and
 * `paginate` (a page). The search runs once, when the query starts, at the function's snapshot;
 * `.filter` and `.take` apply to its ranked results. Cursors are the results' position keys, so a
 * page continues after the last result the previous page examined.
 */
import { FunctionFailure } from "../errors.ts";
import { evaluateFilter } from "../runtime/filter_expression.ts";
import type { SerializedQuery } from "../runtime/query_stream.ts";
import { unreadPage, type PageRequest, type PageResult } from "../runtime/query_page.ts";
import { AT_THE_START, decodeCursor, encodeCursor } from "../runtime/page_cursor.ts";
import type { StoredDocument } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import {
  compileSearch,
  runSearch,
  tooManyCandidatesText,
  type SearchHit,
  type SearchResults,
  type SerializedSearchSource,
} from "./search_query.ts";

function operatorsOf(query: SerializedQuery): { filters: unknown[]; limit: number | null } {
  const filters: unknown[] = [];
  let limit: number | null = null;
  for (const operator of query.operators) {
    if ("filter" in operator) filters.push(operator.filter);
    else limit = limit === null ? operator.limit : Math.min(limit, operator.limit);
  }
  return { filters, limit };
}

function matches(filters: readonly unknown[], document: StoredDocument): boolean {
  for (const filter of filters) {
    let result;
    try {
      result = evaluateFilter(filter, document.value);
    } catch (error) {
      throw new FunctionFailure((error as Error).message);
    }
    if (result !== true) return false;
  }
  return true;
}

function runQuery(tx: Transaction, query: SerializedQuery): SearchResults {
  return runSearch(tx, compileSearch(tx, query.source as SerializedSearchSource));
}

/** True for a query that reads a search index. */
export function isSearchQuery(query: SerializedQuery): boolean {
  return query.source.type === "Search";
}

export class SearchStream {
  private readonly results: SearchResults;
  private readonly filters: unknown[];
  private readonly limit: number | null;
  private position = 0;
  private returned = 0;

  constructor(
    private readonly tx: Transaction,
    query: SerializedQuery,
  ) {
    ({ filters: this.filters, limit: this.limit } = operatorsOf(query));
    this.results = runQuery(tx, query);
  }

  /** The next matching document, or null when done. */
  next(): StoredDocument | null {
    if (this.limit !== null && this.returned >= this.limit) return null;
    for (;;) {
      const hit = this.results.hits[this.position];
      if (hit === undefined) {
        if (this.results.truncated) throw new FunctionFailure(tooManyCandidatesText());
        return null;
      }
      this.position++;
      this.tx.countRead(hit.document);
      if (matches(this.filters, hit.document)) {
        this.returned++;
        return hit.document;
      }
    }
  }

  /** Nothing to release: the whole search entered the read set when it ran. */
  close(): void {}
}

/** One page of a search, after `cursor`, up to `pageSize` matches or exactly to `endCursor`. */
export function searchPage(
  tx: Transaction,
  query: SerializedQuery,
  request: PageRequest,
): PageResult {
  const { filters } = operatorsOf(query);
  const { hits } = runQuery(tx, query);
  const { fingerprint } = request;
  const from =
    request.cursor === null
      ? AT_THE_START
      : decodeCursor(request.keys, fingerprint, request.cursor);
  const until =
    request.endCursor === null
      ? undefined
      : decodeCursor(request.keys, fingerprint, request.endCursor);
  if (until === AT_THE_START || (until === undefined && request.pageSize === 0))
    return unreadPage(request, from);
  const after = from === AT_THE_START ? undefined : from;
  let position = 0;
  if (after === null) position = hits.length;
  else if (after !== undefined)
    while (position < hits.length && (hits[position] as SearchHit).key <= after) position++;
  const page: StoredDocument[] = [];
  let last: SearchHit | undefined;
  let rowsRead = 0;
  for (; position < hits.length; position++) {
    const hit = hits[position] as SearchHit;
    if (until !== undefined && (until === null ? false : hit.key > until)) break;
    if (until === undefined && page.length >= Math.max(1, request.pageSize)) break;
    // The first row is always read (as an index page's is): a page always makes progress.
    if (request.maximumRowsRead !== null && rowsRead > 0 && rowsRead >= request.maximumRowsRead)
      break;
    rowsRead++;
    last = hit;
    tx.countRead(hit.document);
    if (matches(filters, hit.document)) page.push(hit.document);
  }
  const isDone = position >= hits.length;
  const continueCursor =
    until !== undefined && request.endCursor !== null
      ? request.endCursor
      : encodeCursor(request.keys, fingerprint, isDone ? null : (last?.key ?? after ?? ""));
  return {
    page,
    isDone: until === undefined ? isDone : until === null && isDone,
    continueCursor,
    splitCursor: null,
    pageStatus: null,
  };
}
