/**
 * A least-recently-used map bounded by bytes, not entries: each entry carries its (estimated)
 * size, and the oldest entries go until the total fits `maxBytes`. An entry larger than
 * `maxEntryBytes` is never kept, so one huge entry cannot empty the cache of everything else.
 */
export class ByteLru<K, V> {
  private readonly entries = new Map<K, { readonly value: V; readonly bytes: number }>();
  private totalBytes = 0;

  /**
   * @param maxBytes the most bytes kept in all.
   * @param maxEntryBytes the largest entry kept. @default maxBytes / 16
   */
  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes: number = Math.floor(maxBytes / 16),
  ) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value for `key`, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` as `bytes` big (unless it is larger than `maxEntryBytes`); returns whether it did. */
  set(key: K, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.maxEntryBytes) return false;
    this.entries.set(key, { value, bytes });
    this.totalBytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.totalBytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= entry.bytes;
    }
    return true;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}
