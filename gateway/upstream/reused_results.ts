/**
 * Results of one-off queries answered from a session (warm_read.ts), kept to answer an identical
 * repeat without executing it again. An entry holds the operation's result and each Convex query
 * value the execution read. While every one of those queries is still subscribed on the session
 * and holds that very value (a Transition replaces a changed result with a new object), executing
 * the operation again would read the same values from one state and give the same result.
 *
 * Shared by every session, bounded in bytes (least recently used first out); an entry is keyed on
 * its session, so a new session (another identity, or the same one reconnected from scratch)
 * never sees another's results.
 */
import type { ExecutionResult } from "graphql";
import type { Value } from "convex/values";
import { ByteLru } from "../byte_lru.ts";
import type { UpstreamUpdate } from "./shared_queries.ts";
import { estimateValueBytes } from "./value_size.ts";

/** A Convex query an execution read, and the result it got. */
export interface RecordedRead {
  readonly path: string;
  readonly args: Record<string, Value>;
  readonly update: UpstreamUpdate;
}

/** What the reuse check needs of a session. */
export interface ReuseSession {
  /** Distinct per session object (keys never collide across sessions). */
  readonly id: number;
  /** The result held for (path, args) if it is subscribed now, else null. */
  latest(path: string, args: Record<string, Value>): UpstreamUpdate | null;
  /** Extends the warm time of (path, args), as a read of it would. */
  keepWarm(path: string, args: Record<string, Value>, warmMs: number): void;
}

/** One operation's place in the cache. */
export interface ReuseSlot {
  /** The kept result when the session still holds every value it read (keeps them warm). */
  lookup(): ExecutionResult | null;
  /** Keeps `result`, which read `reads` (a result with errors is not kept). */
  store(result: ExecutionResult, reads: readonly RecordedRead[]): void;
}

interface Entry {
  readonly result: ExecutionResult;
  readonly reads: readonly RecordedRead[];
}

export class ReusedResults {
  private readonly entries: ByteLru<string, Entry>;
  /** Operations answered with a kept result so far. */
  hits = 0;

  constructor(maxBytes: number) {
    this.entries = new ByteLru(maxBytes);
  }

  get bytes(): number {
    return this.entries.bytes;
  }

  /** The slot of `operation` (a digest naming it) on `session`, keeping reads warm `warmMs`. */
  slot(session: ReuseSession, operation: () => string, warmMs: number): ReuseSlot {
    const key = (): string => `${session.id}\u0000${operation()}`;
    return {
      lookup: () => {
        const entry = this.entries.get(key());
        if (entry === undefined) return null;
        const held = entry.reads.every(
          (read) => session.latest(read.path, read.args) === read.update,
        );
        if (!held) return null;
        for (const read of entry.reads) session.keepWarm(read.path, read.args, warmMs);
        this.hits++;
        return entry.result;
      },
      store: (result, reads) => {
        if (result.errors !== undefined || reads.length === 0) return;
        this.entries.set(
          key(),
          { result: serialisedOnce(result), reads },
          entryBytes(result, reads),
        );
      },
    };
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Yoga serialises a result with the result's own `stringify` when it has one: a kept result is
 * turned into JSON text once, however many repeats it answers.
 */
function serialisedOnce(result: ExecutionResult): ExecutionResult {
  let text: string | undefined;
  const stringify = (value: unknown): string =>
    value === result ? (text ??= JSON.stringify(result)) : JSON.stringify(value);
  return Object.defineProperty(result, "stringify", { value: stringify, configurable: true });
}

/** The result and the values it pins (a replaced value stays alive while its entry does). */
function entryBytes(result: ExecutionResult, reads: readonly RecordedRead[]): number {
  let bytes = estimateValueBytes(result.data ?? null);
  for (const read of reads) {
    bytes += read.path.length * 2 + estimateValueBytes(read.args);
    if ("value" in read.update) bytes += estimateValueBytes(read.update.value);
  }
  return bytes;
}
