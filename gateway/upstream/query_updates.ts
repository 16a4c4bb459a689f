/**
 * Query subscriptions on the official client's core (`BaseConvexClient`), each Transition handed
 * to the listeners of the queries it updated. `ConvexClient.onUpdate` offers the same, but on
 * every Transition it walks every listener of the client and parses each one's query token (JSON)
 * to learn whether it is a paginated one: a cost per Transition that grows with every query the
 * connection holds (an anonymous session holds every anonymous live query and up to 1,000 warm
 * ones). Here a listener is found by its token.
 *
 * Delivery is `ConvexClient.onUpdate`'s: every update of the query's result, read with
 * `localQueryResult` (a failed query's error goes to `onError`); a result the client
 * already holds when a listener subscribes is handed over on a timer, as ConvexClient's "fake
 * transition" does (shared_queries.ts depends on that).
 */
import type { BaseConvexClient, QueryToken } from "convex/browser";
import type { Value } from "convex/values";

interface Listener {
  readonly path: string;
  readonly args: Record<string, Value>;
  readonly onValue: (value: unknown) => void;
  readonly onError: (error: Error) => void;
}

/** Ends a subscription; `getCurrentValue` reads the result the client holds now. */
export type QuerySubscription = (() => void) & {
  /** The held result (undefined when none); throws a failed query's error. */
  getCurrentValue(): unknown;
  /**
   * Whether the backend keeps a query journal for it (a `paginate()` page's end, so its reruns
   * keep that end); false before its first result.
   */
  hasJournal(): boolean;
};

export class QueryUpdates {
  private readonly listeners = new Map<QueryToken, Set<Listener>>();
  /** Subscribed while the client held a result: it gets it on the timer. */
  private readonly handOver = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly client: BaseConvexClient) {}

  /** The tokens of the queries a Transition updated (BaseConvexClient's `onTransition`). */
  transition(tokens: readonly QueryToken[]): void {
    for (const token of new Set(tokens)) {
      const listeners = this.listeners.get(token);
      if (listeners === undefined) continue;
      // A listener may end another while this runs: an ended one gets nothing more.
      for (const listener of [...listeners]) if (listeners.has(listener)) this.deliver(listener);
    }
  }

  subscribe(
    path: string,
    args: Record<string, Value>,
    onValue: (value: unknown) => void,
    onError: (error: Error) => void,
  ): QuerySubscription {
    const { queryToken, unsubscribe } = this.client.subscribe(path, args);
    const listener: Listener = { path, args, onValue, onError };
    let listeners = this.listeners.get(queryToken);
    if (listeners === undefined) this.listeners.set(queryToken, (listeners = new Set()));
    listeners.add(listener);
    if (this.holdsResult(listener)) {
      this.handOver.add(listener);
      this.timer ??= setTimeout(() => this.handOverHeld(), 0);
    }
    const end = (): void => {
      if (this.closed || !listeners.delete(listener)) return;
      if (listeners.size === 0) this.listeners.delete(queryToken);
      this.handOver.delete(listener);
      unsubscribe();
    };
    return Object.assign(end, {
      getCurrentValue: () => this.client.localQueryResult(path, args),
      hasJournal: () => typeof this.client.queryJournal(path, args) === "string",
    });
  }

  /** Stops every delivery (the connection closes). */
  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.handOver.clear();
    clearTimeout(this.timer);
  }

  private handOverHeld(): void {
    this.timer = undefined;
    for (const listener of [...this.handOver])
      if (this.handOver.has(listener) && this.holdsResult(listener)) this.deliver(listener);
  }

  /** Whether the client holds a result (a value or an error) for the listener's query. */
  private holdsResult(listener: Listener): boolean {
    try {
      return this.client.localQueryResult(listener.path, listener.args) !== undefined;
    } catch {
      return true;
    }
  }

  private deliver(listener: Listener): void {
    this.handOver.delete(listener);
    let value: unknown;
    try {
      value = this.client.localQueryResult(listener.path, listener.args);
    } catch (error) {
      listener.onError(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    listener.onValue(value);
  }
}
