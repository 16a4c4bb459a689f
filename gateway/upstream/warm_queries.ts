/**
 * Warm queries: upstream subscriptions kept after their last reader left, so a repeat of the
 * one-off read that made them is answered from the pushed, current result. At most `maxCount` of
 * them holding at most `maxBytes` of results (estimated), across every session; the least
 * recently used goes first.
 *
 *   in use --last reader leaves, warmMs left--> warm --reader again--> in use
 *                                                 \--timer, or evicted--> ended
 */

/** A subscription that can be kept warm. */
export interface WarmEntry {
  /** Estimated bytes of its current result. */
  bytes(): number;
  /** Ends the upstream subscription (it left the warm set). */
  end(): void;
}

interface Kept {
  readonly timer: NodeJS.Timeout;
  bytes: number;
}

export class WarmQueries {
  /** Oldest first (a Map keeps insertion order). */
  private readonly kept = new Map<WarmEntry, Kept>();
  private totalBytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  get count(): number {
    return this.kept.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  has(entry: WarmEntry): boolean {
    return this.kept.has(entry);
  }

  /** Keeps `entry` for `forMs`, then ends it (unless a reader takes it back first). */
  keep(entry: WarmEntry, forMs: number): void {
    this.release(entry);
    const timer = setTimeout(() => this.evict(entry), forMs);
    timer.unref();
    const bytes = entry.bytes();
    this.kept.set(entry, { timer, bytes });
    this.totalBytes += bytes;
    this.evictOverBounds();
  }

  /** A warm entry's result changed: its size is counted anew. */
  resized(entry: WarmEntry): void {
    const kept = this.kept.get(entry);
    if (kept === undefined) return;
    const bytes = entry.bytes();
    this.totalBytes += bytes - kept.bytes;
    kept.bytes = bytes;
    if (this.totalBytes > this.maxBytes) queueMicrotask(() => this.evictOverBounds());
  }

  /** `entry` is in use again, or ending: no longer warm (it is not ended here). */
  release(entry: WarmEntry): void {
    const kept = this.kept.get(entry);
    if (kept === undefined) return;
    clearTimeout(kept.timer);
    this.kept.delete(entry);
    this.totalBytes -= kept.bytes;
  }

  /** Ends every warm entry. */
  clear(): void {
    for (const entry of [...this.kept.keys()]) this.evict(entry);
  }

  private evict(entry: WarmEntry): void {
    this.release(entry);
    entry.end();
  }

  /** Ends the least recently used entries until both bounds hold. */
  private evictOverBounds(): void {
    for (const oldest of this.kept.keys()) {
      if (this.kept.size <= this.maxCount && this.totalBytes <= this.maxBytes) break;
      this.evict(oldest);
    }
  }
}
