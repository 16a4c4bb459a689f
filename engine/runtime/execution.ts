/**
 * The per-execution context: which function runs, its transaction, its frozen clock and seeded
 * random generator, its identity and its log lines. The global `Convex` object and the sandbox's
 * `Date`/`Math.random`/`fetch` shims find the current execution through AsyncLocalStorage, so
 * many executions can be in flight at once.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomHexFromPool, randomUint32FromPool } from "../util/random_pool.ts";
import type { Transaction } from "../transactions/transaction.ts";
import type { DocumentStream } from "./query_stream.ts";
import type { SystemError, TimeoutError } from "../errors.ts";

export type FunctionKind = "query" | "mutation" | "action";

/** What a query journal holds (it is opaque to clients). */
export interface QueryJournal {
  readonly endCursor: string;
}

/** Parses a journal from the wire; anything unreadable counts as none. */
export function parseJournal(text: string | null | undefined): QueryJournal | null {
  if (typeof text !== "string") return null;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      typeof (parsed as QueryJournal).endCursor === "string"
    ) {
      return { endCursor: (parsed as QueryJournal).endCursor };
    }
  } catch {
    // not ours: ignored
  }
  return null;
}

/** The identity a function sees from `ctx.auth.getUserIdentity()` (Convex's shape). */
export type UserIdentity = Record<string, unknown> & { tokenIdentifier: string };

export interface Execution {
  readonly kind: FunctionKind;
  /** Canonical path, e.g. `orders:placeOrder`. */
  readonly path: string;
  /** The component the function belongs to (`""` or absent: the app); its tables are its own. */
  readonly componentPath?: string;
  readonly requestId: string;
  /** Present for queries and mutations. */
  readonly tx: Transaction | null;
  /** Frozen `Date.now()` for queries and mutations. */
  readonly nowMs: number;
  readonly random: () => number;
  readonly identity: UserIdentity | null;
  readonly logLines: string[];
  readonly streams: Map<number, DocumentStream>;
  /** Set once the execution called `paginate` (Convex allows one per function). */
  paginated: boolean;
  /**
   * The query journal the client sent back with this subscription: the end cursor of its one
   * `paginate` call, so a rerun ends the page where the first run did (gapless pages).
   */
  readonly journal: QueryJournal | null;
  /** The journal to send with this result (set by `paginate`). */
  journalOut: string | null;
  /** Wall-clock ms after which the execution has timed out. */
  readonly deadlineMs: number;
  /** The time limit behind `deadlineMs` (for Convex's timeout text). */
  readonly timeLimitMs: number;
  /** Actions: timers the function set, cleared when it ends (Convex drops dangling work). */
  readonly timers?: Set<NodeJS.Timeout>;
  /** The `_scheduled_functions` job this execution runs, when the scheduler started it. */
  readonly scheduledJobId?: string;
  /** Actions: the clock they see as `Date.now()` (the engine's, injectable). @default Date.now */
  readonly now?: () => number;
  /** A system error a syscall raised (`throwOcc`, `throwOverloaded`): it fails the execution. */
  systemError?: SystemError;
  /**
   * Set when a syscall found the deadline passed: the function cannot catch its time limit (its
   * error crosses the realm as a plain Error), so the executor reports this one.
   */
  timedOut?: TimeoutError;
  /** Set once the function returned or failed: later syscalls (dangling promises) are refused. */
  ended?: boolean;
}

const storage = new AsyncLocalStorage<Execution>();

/** Runs `fn` as `execution` (everything it awaits stays inside the execution). */
export function runInExecution<T>(execution: Execution, fn: () => T): T {
  return storage.run(execution, fn);
}

/** The execution running right now, or undefined outside of any function. */
export function currentExecution(): Execution | undefined {
  return storage.getStore();
}

/** A deterministic generator (mulberry32) seeded from 32 random bits. */
export function seededRandom(seed = randomUint32FromPool()): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random id for a request, 16 hex digits (shown in error messages as Convex does). */
export function newRequestId(): string {
  return randomHexFromPool(8);
}
