/**
 * The query subscriptions of one connection: one upstream subscription per (function, arguments),
 * shared by every reader, kept warm after its last reader left when a reader asked for it
 * (warm_queries.ts).
 *
 * A workaround for the official client: a query subscribed again before the Transition
 * answering its removal gets the result the client still holds, handed over with no Transition,
 * and a Transition computed before the server saw the new subscription then drops it without a
 * word. Such a result is not the new subscription's: it counts only from the first Transition on
 * (`untrusted`, settled by `afterTransition`).
 */
import { convexToJson, type Value } from "convex/values";
import type { UpstreamConnection } from "./connection.ts";
import { estimateValueBytes } from "./value_size.ts";
import type { WarmEntry, WarmQueries } from "./warm_queries.ts";

/**
 * A query's result, or its error. `journaled`: a page the backend keeps ending where it first
 * ended (Convex's query journal of a `paginate()`; only looked up for queries taking
 * `paginationOpts`).
 */
export type UpstreamUpdate =
  { readonly value: unknown; readonly journaled?: true } | { readonly error: Error };

export type UpstreamListener = (update: UpstreamUpdate) => void;

/** What a new reader of a query gets back. */
export interface UpstreamSubscription {
  /** The result held now, if any (the listener gets it again, asynchronously). */
  readonly latest: UpstreamUpdate | null;
  /** The result held now (changes with each Transition that brings a new one). */
  readonly current: () => UpstreamUpdate | null;
  /** Stops reading. */
  readonly release: () => void;
  /**
   * This reader opened the upstream subscription, of which the client held no result: its first
   * result comes in a Transition the backend computed after it saw the subscription, at its
   * latest timestamp then.
   */
  readonly opened: boolean;
}

/** One upstream subscription per (function, arguments) of an identity. */
export function subscriptionKey(path: string, args: Record<string, Value>): string {
  return `${path}\u0000${JSON.stringify(convexToJson(args))}`;
}

/** Estimated bytes of each result delivered (one estimate per result). */
const resultSizes = new WeakMap<UpstreamUpdate, number>();

function resultBytes(update: UpstreamUpdate | null): number {
  if (update === null || !("value" in update)) return 0;
  let bytes = resultSizes.get(update);
  if (bytes === undefined) resultSizes.set(update, (bytes = estimateValueBytes(update.value)));
  return bytes;
}

class SharedQuery implements WarmEntry {
  readonly listeners = new Set<UpstreamListener>();
  latest: UpstreamUpdate | null = null;
  /** While untrusted: the last update the client handed over. */
  candidate: UpstreamUpdate | null = null;
  /** Stay subscribed until then (ms since epoch) once the last reader left. */
  warmUntil = 0;
  unsubscribe: (() => void) & { getCurrentValue?: () => unknown; hasJournal?: () => boolean } =
    () => {};

  constructor(
    readonly key: string,
    readonly end: () => void,
  ) {}

  bytes(): number {
    return resultBytes(this.latest);
  }

  /** Whether the official client holds a result (a value, or an error) for it. */
  holdsResult(): boolean {
    try {
      return this.unsubscribe.getCurrentValue?.() !== undefined;
    } catch {
      return true; // it holds an error result
    }
  }

  publish(update: UpstreamUpdate): void {
    this.latest = update;
    for (const listener of [...this.listeners]) listener(update);
  }
}

export class SharedQueries {
  private readonly queries = new Map<string, SharedQuery>();
  private readonly untrusted = new Set<SharedQuery>();

  constructor(
    private readonly connection: UpstreamConnection,
    private readonly warm: WarmQueries,
    /** Its last query ended (the session may close when idle). */
    private readonly emptied: () => void,
  ) {}

  get size(): number {
    return this.queries.size;
  }

  /** The result held for (path, args), if subscribed and known. */
  latest(path: string, args: Record<string, Value>): UpstreamUpdate | null {
    return this.queries.get(subscriptionKey(path, args))?.latest ?? null;
  }

  /**
   * Extends how long (path, args) stays warm after its last reader, as a read of it would (a
   * result reused without a read, reused_results.ts).
   */
  keepWarm(path: string, args: Record<string, Value>, warmMs: number): void {
    const query = this.queries.get(subscriptionKey(path, args));
    if (query === undefined || warmMs <= 0) return;
    query.warmUntil = Math.max(query.warmUntil, Date.now() + warmMs);
    if (this.warm.has(query)) this.warm.keep(query, query.warmUntil - Date.now());
  }

  /** Watches (path, args): the listener gets the current result (async) and every new one. */
  subscribe(
    path: string,
    args: Record<string, Value>,
    listener: UpstreamListener,
    warmMs: number,
  ): UpstreamSubscription {
    const key = subscriptionKey(path, args);
    const existing = this.queries.get(key);
    const query = existing ?? this.open(key, path, args);
    this.warm.release(query);
    query.listeners.add(listener);
    const latest = query.latest;
    if (latest !== null) {
      queueMicrotask(() => {
        if (query.listeners.has(listener)) listener(latest);
      });
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      query.listeners.delete(listener);
      if (warmMs > 0) query.warmUntil = Math.max(query.warmUntil, Date.now() + warmMs);
      if (query.listeners.size > 0 || this.queries.get(key) !== query) return;
      const warmFor = query.warmUntil - Date.now();
      if (warmFor > 0) this.warm.keep(query, warmFor);
      else query.end();
    };
    // Opened, and the client held no result for it: its first one comes in a Transition.
    const opened = existing === undefined && !this.untrusted.has(query);
    return { latest, current: () => query.latest, release, opened };
  }

  private open(key: string, path: string, args: Record<string, Value>): SharedQuery {
    const query = new SharedQuery(key, () => this.end(query));
    const paginated = "paginationOpts" in args;
    const deliver = (update: UpstreamUpdate): void => {
      if (this.untrusted.has(query)) {
        query.candidate = update;
        return;
      }
      query.publish(update);
      this.warm.resized(query);
    };
    query.unsubscribe = this.connection.updates.subscribe(
      path,
      args,
      (value) =>
        deliver(
          paginated && query.unsubscribe.hasJournal?.() === true
            ? { value, journaled: true }
            : { value },
        ),
      (error) => deliver({ error }),
    );
    if (query.holdsResult()) this.untrusted.add(query);
    this.queries.set(key, query);
    return query;
  }

  /** A Transition arrived: untrusted queries whose result the client still holds got it in it. */
  afterTransition(): void {
    for (const query of [...this.untrusted]) {
      this.untrusted.delete(query);
      const candidate = query.candidate;
      query.candidate = null;
      if (candidate !== null && query.holdsResult()) query.publish(candidate);
    }
  }

  private end(query: SharedQuery): void {
    this.warm.release(query);
    if (this.queries.get(query.key) !== query) return;
    query.unsubscribe();
    this.queries.delete(query.key);
    this.untrusted.delete(query);
    this.connection.transitionsAtLastRemoval = this.connection.transitions;
    if (this.queries.size === 0) this.emptied();
  }

  /** Ends every query; readers get `error` if given. */
  endAll(error: Error | null): void {
    for (const query of [...this.queries.values()]) {
      this.warm.release(query);
      if (error !== null) query.publish({ error });
    }
    this.queries.clear();
    this.untrusted.clear();
  }
}
