/**
 * What `npx convex import`'s imports may keep in memory, and for how long: one byte budget shared
 * by unfinished uploads and imports waiting for confirmation, and expiry timers that never keep
 * the process alive and all stop at close.
 */

/** The most bytes unfinished uploads and imports waiting for confirmation may hold together. */
export const DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024;
/** How long an upload or an import may sit untouched before it is dropped. */
export const DEFAULT_EXPIRE_AFTER_MS = 60 * 60 * 1000;

/** Limits of `npx convex import` (the engine option `imports`). */
export interface SnapshotImportOptions {
  /**
   * The most bytes unfinished uploads and imports waiting for confirmation hold together (an
   * import is charged its file's size); a part past it is refused (413) and its upload dropped.
   * @default DEFAULT_MAX_HELD_BYTES (64 MiB) // bytes
   */
  readonly maxHeldBytes?: number;
  /**
   * An unfinished upload is dropped this long after its last part (or its start), an import
   * waiting for confirmation fails this long after it was parsed, and a finished import's record
   * is forgotten this long after it finished.
   * @default DEFAULT_EXPIRE_AFTER_MS (1 hour) // ms
   */
  readonly expireAfterMs?: number;
}

/** `ms` in words: "1 hour", "30 minutes", "1500 ms". */
export function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, "hour"],
    [60_000, "minute"],
    [1_000, "second"],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const count = ms / size;
      return `${count} ${name}${count === 1 ? "" : "s"}`;
    }
  }
  return `${ms} ms`;
}

/** A count of held bytes against a limit. */
export class ByteBudget {
  private held = 0;
  constructor(readonly limit: number) {}

  /** Takes `bytes` when they fit; false (nothing taken) when they do not. */
  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }

  get heldBytes(): number {
    return this.held;
  }
}

/** One unref'd timer per key; scheduling a key again restarts its timer. */
export class ExpiryTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  constructor(readonly afterMs: number) {}

  /** Calls `expire` `afterMs` from now unless the key is scheduled again or cancelled first. */
  schedule(key: string, expire: () => void): void {
    this.cancel(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      expire();
    }, this.afterMs);
    timer.unref(); // an abandoned upload must not keep the process running
    this.timers.set(key, timer);
  }

  cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  /** Stops every timer (engine close). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Keys remembered in insertion order, the oldest forgotten past `limit`. */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly limit: number) {}

  add(key: string): void {
    this.keys.add(key);
    for (const oldest of this.keys) {
      if (this.keys.size <= this.limit) break;
      this.keys.delete(oldest);
    }
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }
}
