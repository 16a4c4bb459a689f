/**
 * The HTTP API's side of the shared query cache. A one-off `/api/query` reads through
 * `LiveQueries` like a subscription does, so an identical query (same function, arguments and,
 * when it read it, identity) at an unchanged timestamp is answered from the cache instead of
 * re-executed, as Convex does. Nobody subscribes to such a result, so this keeps it watched
 * until a commit invalidates it or, past `limit` results, the least recently used one is let go.
 */
import type { LiveQueries, LiveQueryRequest, LiveResult, Watcher } from "./live_queries.ts";
import type { Timestamp } from "../storage/types.ts";

/** Most results kept for one-off queries. @default 1_000 */
export const RETAINED_RESULTS_LIMIT = 1_000;

export class RetainedResults {
  /** Retained results, least recently used first (a Set keeps insertion order). */
  private readonly recent = new Set<LiveResult>();
  private readonly watcher: Watcher = (result) => this.release(result);

  constructor(
    private readonly liveQueries: LiveQueries,
    private readonly limit = RETAINED_RESULTS_LIMIT,
  ) {}

  /** Results held now (for tests). */
  get size(): number {
    return this.recent.size;
  }

  /** The result of `request` at `ts`, from the cache when it holds one valid there. */
  async resultAt(request: LiveQueryRequest, ts: Timestamp): Promise<LiveResult> {
    const result = await this.liveQueries.resultAt(request, ts, this.watcher);
    // Valid at `ts` but already overtaken by a newer commit: answer, do not keep.
    if (result.invalidatedAt !== null) {
      this.release(result);
      return result;
    }
    this.recent.delete(result);
    this.recent.add(result);
    for (const oldest of this.recent) {
      if (this.recent.size <= this.limit) break;
      this.release(oldest);
    }
    return result;
  }

  private release(result: LiveResult): void {
    this.recent.delete(result);
    this.liveQueries.unwatch(result, this.watcher);
  }
}
