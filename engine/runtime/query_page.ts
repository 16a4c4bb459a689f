/**
 * `.paginate()`: one page of a compiled query, in Convex's shape (`1.0/queryPage`), with the
 * page-splitting hints reactive pagination clients act on (`usePaginatedQuery` splits a page
 * into (cursor, splitCursor] and (splitCursor, continueCursor]):
 * - `splitCursor`: the position of the middle row the page scanned (null when it scanned fewer
 *   than two), so both halves are non-empty;
 * - `pageStatus: "SplitRequired"`: reading stopped at a limit (the caller's `maximumRowsRead` /
 *   `maximumBytesRead`, or the transaction's documents or bytes limit, which then ends the page
 *   instead of failing the function) before the page was complete: the page may be missing rows
 *   and the client must split it;
 * - `"SplitRecommended"`: the page read more than 75% of a transaction limit, or holds more than
 *   6,144 items (75% of 8,192).
 * Search pages never split (search_stream.ts).
 */
import { FunctionFailure } from "../errors.ts";
import type { StoredDocument } from "../storage/types.ts";
import type { IndexScan, Transaction } from "../transactions/transaction.ts";
import { ReadLimitError, TRANSACTION_LIMITS } from "../transactions/transaction_limits.ts";
import { keySuccessor, type IndexKey } from "../values/index_key.ts";
import { evaluateFilter } from "./filter_expression.ts";
import {
  AT_THE_START,
  decodeCursor,
  encodeCursor,
  type CursorKeys,
  type CursorPosition,
  type QueryFingerprint,
} from "./page_cursor.ts";
import type { QueryPlan } from "./query_stream.ts";

export type PageStatus = "SplitRecommended" | "SplitRequired" | null;

/** The result of `.paginate()` in Convex's shape. */
export interface PageResult {
  page: StoredDocument[];
  isDone: boolean;
  continueCursor: string;
  splitCursor: string | null;
  pageStatus: PageStatus;
}

export interface PageRequest {
  /** The deployment's cursor keys (page_cursor.ts). */
  readonly keys: CursorKeys;
  /** The fingerprint of the query paged: its cursors carry it (page_cursor.ts). */
  readonly fingerprint: QueryFingerprint;
  readonly cursor: string | null;
  readonly endCursor: string | null;
  readonly pageSize: number;
  readonly maximumRowsRead: number | null;
  readonly maximumBytesRead: number | null;
}

/** Past 75% of a limit, Convex recommends a split. */
const SOFT_LIMIT = 0.75;
const RECOMMENDED_MAX_ITEMS = 6_144;

/** The index interval the page covers: the plan's, narrowed by the cursors. */
function pageInterval(
  plan: QueryPlan,
  cursorKey: IndexKey | null,
  endKey: IndexKey | null | undefined,
): { start: IndexKey; end: IndexKey | null } {
  const ascending = plan.order === "asc";
  let { start, end } = plan.interval;
  if (cursorKey !== null) {
    if (ascending) start = keySuccessor(cursorKey) > start ? keySuccessor(cursorKey) : start;
    else end = end === null || cursorKey < end ? cursorKey : end;
  }
  if (endKey !== undefined && endKey !== null) {
    if (ascending) end = end === null || keySuccessor(endKey) < end ? keySuccessor(endKey) : end;
    else start = endKey > start ? endKey : start;
  }
  return { start, end };
}

/** What a page's scan read: its matches, the key of every row scanned, and why it stopped. */
interface PageScan {
  readonly page: StoredDocument[];
  readonly scannedKeys: IndexKey[];
  readonly bytesRead: number;
  readonly cutShort: boolean;
  readonly exhausted: boolean;
  readonly lastKey: IndexKey | undefined;
}

/**
 * True when one more row would pass a read limit (the caller's or the transaction's). The first
 * row is always read: a page that stopped before it would have no position to continue from (a
 * descending walk from the end has none to name), and a client would ask for it again forever.
 */
function atReadLimit(tx: Transaction, request: PageRequest, rows: number, bytes: number): boolean {
  if (rows === 0) return false;
  if (request.maximumRowsRead !== null && rows >= request.maximumRowsRead) return true;
  if (request.maximumBytesRead !== null && bytes >= request.maximumBytesRead) return true;
  return tx.usage().documentsRead >= TRANSACTION_LIMITS.documentsRead;
}

/**
 * The scan's next document, or "limit" when reading it passed the transaction's read limits
 * after the page's first row (before it, the function fails with the limit's error, as Convex's
 * does for any read past them).
 */
function nextWithinLimits(scan: IndexScan, rowsRead: number): StoredDocument | null | "limit" {
  try {
    return scan.next();
  } catch (error) {
    if (error instanceof ReadLimitError && rowsRead > 0) return "limit";
    throw error;
  }
}

function matchesFilters(plan: QueryPlan, document: StoredDocument): boolean {
  return plan.filters.every((filter) => evaluateFilter(filter, document.value) === true);
}

function scanPage(
  tx: Transaction,
  plan: QueryPlan,
  request: PageRequest,
  interval: { start: IndexKey; end: IndexKey | null },
  toEnd: boolean,
): PageScan {
  const scan = tx.scan(plan.index, interval, plan.order);
  const page: StoredDocument[] = [];
  const scannedKeys: IndexKey[] = [];
  let bytesRead = 0;
  let cutShort = false;
  try {
    for (;;) {
      if (!toEnd && page.length >= Math.max(1, request.pageSize)) break;
      if (atReadLimit(tx, request, scannedKeys.length, bytesRead)) {
        cutShort = true;
        break;
      }
      const document = nextWithinLimits(scan, scannedKeys.length);
      if (document === "limit") {
        cutShort = true;
        break;
      }
      if (document === null) break;
      if (scan.lastKey !== undefined) scannedKeys.push(scan.lastKey);
      bytesRead += document.json.length;
      if (matchesFilters(plan, document)) page.push(document);
    }
  } finally {
    tx.finishScan(scan);
  }
  return {
    page,
    scannedKeys,
    bytesRead,
    cutShort,
    exhausted: scan.isExhausted,
    // The last row read, not the scan's position: a row past a read limit was not read.
    lastKey: scannedKeys.at(-1),
  };
}

function pageStatus(tx: Transaction, scanned: PageScan): PageStatus {
  if (scanned.cutShort) return "SplitRequired";
  const usage = tx.usage();
  if (
    usage.documentsRead > TRANSACTION_LIMITS.documentsRead * SOFT_LIMIT ||
    usage.bytesRead > TRANSACTION_LIMITS.bytesRead * SOFT_LIMIT ||
    scanned.page.length > RECOMMENDED_MAX_ITEMS
  )
    return "SplitRecommended";
  return null;
}

/**
 * The page that reads nothing: of no items (`numItems: 0`) without an end cursor, or ending at
 * the start. It stays where it began (`from`), so the next page skips no row; its end cursor, if
 * any, stays too.
 */
export function unreadPage(request: PageRequest, from: CursorPosition): PageResult {
  const continueCursor = request.endCursor ?? encodeCursor(request.keys, request.fingerprint, from);
  return { page: [], isDone: false, continueCursor, splitCursor: null, pageStatus: null };
}

/**
 * One page of a query, from `cursor` (exclusive) on. With `endCursor`, the page runs exactly to
 * that position (so a reactive page keeps its bounds); otherwise it stops after `pageSize`
 * matches. Cursors name an index key, or the end of the range, of this query only.
 * @throws FunctionFailure `InvalidCursor` for a cursor that does not parse or is another query's.
 */
export function queryPage(tx: Transaction, plan: QueryPlan, request: PageRequest): PageResult {
  if (!Number.isFinite(request.pageSize) || request.pageSize < 0) {
    throw new FunctionFailure(
      `Invalid pageSize ${request.pageSize}: numItems must be a non-negative number.`,
    );
  }
  const from =
    request.cursor === null
      ? AT_THE_START
      : decodeCursor(request.keys, request.fingerprint, request.cursor);
  if (from === null) {
    // Already past the end: an empty, finished page.
    const continueCursor = encodeCursor(request.keys, request.fingerprint, null);
    return { page: [], isDone: true, continueCursor, splitCursor: null, pageStatus: null };
  }
  const endKey =
    request.endCursor === null
      ? undefined
      : decodeCursor(request.keys, request.fingerprint, request.endCursor);
  if (endKey === AT_THE_START || (endKey === undefined && request.pageSize === 0))
    return unreadPage(request, from);
  const interval = pageInterval(plan, from === AT_THE_START ? null : from, endKey);
  const scanned = scanPage(tx, plan, request, interval, endKey !== undefined);
  // With an end cursor the page keeps that end even when a limit cut it short (the client then
  // splits it at `splitCursor`): the next page was loaded from there.
  const continueCursor =
    endKey !== undefined && request.endCursor !== null
      ? request.endCursor
      : encodeCursor(
          request.keys,
          request.fingerprint,
          scanned.exhausted ? null : (scanned.lastKey ?? interval.start),
        );
  const middle = scanned.scannedKeys[Math.floor((scanned.scannedKeys.length - 1) / 2)];
  return {
    page: scanned.page,
    isDone: endKey === undefined ? scanned.exhausted : endKey === null && scanned.exhausted,
    continueCursor,
    splitCursor:
      scanned.scannedKeys.length >= 2 && middle !== undefined
        ? encodeCursor(request.keys, request.fingerprint, middle)
        : null,
    pageStatus: pageStatus(tx, scanned),
  };
}
