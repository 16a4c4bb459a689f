/**
 * Live pages split as `usePaginatedQuery` splits them: a page stays live with the bounds it was
 * loaded with (Convex's query journal), so inserts grow it. Once a page (or a part of one) holds
 * more than twice the `first` it was asked for, or Convex recommends a split, its range
 * (cursor, end] is read as two queries, (cursor, split] and (split, end], each with an explicit
 * `endCursor`; the connection shows their pages one after the other. No Convex query of a live
 * page then grows without bound, and a change re-executes only the part that holds it.
 *
 * The split point is Convex's `splitCursor` when it sends one; otherwise (a backend that sends
 * none) the `continueCursor` of a read of the part's first half, used only when that read found
 * exactly the part's first half (so the point lies inside the part). Cursors stay opaque.
 *
 * A live page the backend keeps no query journal for (one an app paginates itself, such as
 * convex-helpers' streams) is pinned at the end of its first result (`endCursor`), as the journal
 * pins a `paginate()` page, so it grows too instead of sliding.
 *
 * The parts of each page live in the live operation's state (`ConvexAccess.liveState`), so every
 * rerun reads the same parts. A one-off operation reads its page once and never splits.
 */
import { convexToJson, type Value } from "convex/values";
import type { ConvexAccess } from "../context.ts";

/** One Convex page result (`PaginationResult`). */
export interface PageResult {
  readonly page: unknown[];
  readonly isDone: boolean;
  readonly continueCursor: string;
  readonly splitCursor?: string | null;
  readonly pageStatus?: "SplitRecommended" | "SplitRequired" | null;
}

/** A part of a page: (cursor, endCursor]; `endCursor: null` is the page as first loaded. */
interface PagePart {
  readonly cursor: string | null;
  readonly endCursor: string | null;
}

export interface PageRequest {
  readonly path: string;
  /** The query's arguments besides `paginationOpts`. */
  readonly args: Record<string, unknown>;
  readonly numItems: number;
  readonly cursor: string | null;
}

/** `value` as a page result, or null when it is not one. */
export function asPageResult(value: unknown): PageResult | null {
  const result = value as Partial<PageResult> | null;
  const isPage =
    typeof result === "object" &&
    result !== null &&
    Array.isArray(result.page) &&
    typeof result.isDone === "boolean" &&
    typeof result.continueCursor === "string";
  return isPage ? (result as PageResult) : null;
}

/** The arguments of the query that reads `part`. */
function partArgs(request: PageRequest, part: PagePart): Record<string, unknown> {
  const paginationOpts = {
    numItems: request.numItems,
    cursor: part.cursor,
    ...(part.endCursor !== null ? { endCursor: part.endCursor } : {}),
  };
  return { ...request.args, paginationOpts };
}

function readPart(access: ConvexAccess, request: PageRequest, part: PagePart): Promise<unknown> {
  return access.run("query", request.path, partArgs(request, part));
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  const text = (items: readonly unknown[]): string =>
    JSON.stringify(items.map((item) => convexToJson(item as Value)));
  return a.length === b.length && text(a) === text(b);
}

/** The point to split `part` at (its `result` is too large), or null when none is known yet. */
async function splitPoint(
  access: ConvexAccess,
  request: PageRequest,
  part: PagePart,
  result: PageResult,
): Promise<string | null> {
  if (typeof result.splitCursor === "string") return result.splitCursor;
  const half = Math.floor(result.page.length / 2);
  const firstHalf = asPageResult(
    await access.run("query", request.path, {
      ...request.args,
      paginationOpts: { numItems: half, cursor: part.cursor },
    }),
  );
  if (firstHalf === null || !sameItems(firstHalf.page, result.page.slice(0, half))) return null;
  return firstHalf.continueCursor;
}

/**
 * True when `result` is to be split: past twice its size, or when Convex says so. A page a read
 * limit cut short may hold one item or none and still miss rows: Convex's `splitCursor` (the
 * middle row it scanned) splits it; without one, only a page of two items or more can be halved.
 */
function needsSplit(result: PageResult, numItems: number): boolean {
  const splittable = typeof result.splitCursor === "string" || result.page.length > 1;
  return (
    result.page.length > 2 * numItems ||
    ((result.pageStatus === "SplitRecommended" || result.pageStatus === "SplitRequired") &&
      splittable)
  );
}

/**
 * Reads the page `request` names through `access`: its parts in order (one part unless it was
 * split). In a live operation, a part that grew too large is split for the next reads.
 */
export async function readPage(
  access: ConvexAccess,
  request: PageRequest,
): Promise<readonly unknown[]> {
  const state = access.liveState;
  const key = JSON.stringify([request.path, request.args, request.numItems, request.cursor]);
  const parts = (state?.get(key) as PagePart[] | undefined) ?? [
    { cursor: request.cursor, endCursor: null },
  ];
  const results = await Promise.all(parts.map((part) => readPart(access, request, part)));
  if (state === undefined) return results;
  const next: PagePart[] = [];
  let changed = false;
  for (const [index, part] of parts.entries()) {
    const result = asPageResult(results[index]);
    const split =
      result !== null && needsSplit(result, request.numItems)
        ? await splitPoint(access, request, part, result)
        : null;
    const journaled = access.journaled?.(request.path, partArgs(request, part)) === true;
    const pin = result !== null && split === null && !journaled ? pinnedEnd(part, result) : null;
    if (split !== null && result !== null) {
      next.push({ cursor: part.cursor, endCursor: split });
      next.push({ cursor: split, endCursor: result.continueCursor });
    } else next.push(pin ?? part);
    changed ||= split !== null || pin !== null;
  }
  if (!changed) return results;
  state.set(key, next);
  // Read the new parts now: their first results make this run incomplete, so the live operation
  // runs again once they arrived and shows them (as usePaginatedQuery swaps in both at once).
  return await Promise.all(next.map((part) => readPart(access, request, part)));
}

/**
 * The part `part` pinned at the end its first result reached, or null when it has an end already
 * or reached the end of its range. Convex's query journal keeps a `paginate()` page ending where
 * it first ended; a page an app builds itself (convex-helpers' `stream(...).paginate()`,
 * `paginator`) has no journal and slides instead, leaving a hole before the next page, unless
 * the caller passes `endCursor` (as convex-helpers' own `usePaginatedQuery` does). Only such a
 * page (no journal) is pinned: pinning costs a first result one more round trip.
 */
function pinnedEnd(part: PagePart, result: PageResult): PagePart | null {
  if (part.endCursor !== null || result.isDone) return null;
  return { cursor: part.cursor, endCursor: result.continueCursor };
}
