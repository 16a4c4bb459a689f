/**
 * A live operation: a GraphQL subscription (or `@live` query) kept up to date from Convex.
 *
 * Executing the operation reads Convex queries through this object; each one it reads becomes an
 * upstream subscription (shared through its identity's session). When any of them changes, the whole operation
 * is executed again from one snapshot of all their latest results: results of one upstream
 * Transition arrive together, and the snapshot is taken after they all landed, so every emitted
 * result is consistent. An execution that needed a query not yet loaded is not emitted; it runs
 * again once that query's first result arrived. Identical results are not re-sent.
 *
 *   idle --start--> running --done--> (rerun requested? running : idle) ... --last subscriber gone--> disposed
 */
import type { ExecutionResult } from "graphql";
import { GraphQLError } from "graphql";
import type { Value } from "convex/values";
import type { ConvexAccess } from "../context.ts";
import { ERROR_CODES, toGraphQLError } from "../errors.ts";
import { subscriptionKey, type UpstreamUpdate } from "../upstream/shared_queries.ts";
import type { UpstreamSessions } from "../upstream/sessions.ts";

interface Dependency {
  readonly path: string;
  readonly args: Record<string, Value>;
  latest: UpstreamUpdate | null;
  readonly firstResult: Promise<void>;
  /** An execution gave up waiting for the first result: its arrival must trigger a rerun. */
  waitedOut: boolean;
  release: () => void;
}

/** What one execution read, and whether it lacked a first result. */
interface SnapshotReads {
  /** Every dependency's latest result when the execution started. */
  readonly snapshot: ReadonlyMap<Dependency, UpstreamUpdate | null>;
  /** The client's Transition count when the snapshot was taken. */
  readonly transitionsAtSnapshot: number;
  /** The dependencies the execution read (the others are released after it). */
  readonly used: Set<Dependency>;
  /** It waited for a query's first result: its result is not emitted. */
  incomplete: boolean;
  /** A first result did not come in time: its `CONVEX_UNAVAILABLE` result is emitted. */
  unavailable: boolean;
}

/** Subscribers served per turn of the event loop during a fan-out. */
const FANOUT_BATCH = 256;

/** A subscriber's end of a live operation: each new result is pushed to it. */
export interface LiveSink {
  push(result: ExecutionResult): void;
}

export type LiveExecutor = (access: ConvexAccess) => Promise<ExecutionResult>;

/** What a live operation reports as it runs (the gateway's metrics; nothing by default). */
export interface LiveObserver {
  /** One execution (first run or rerun) took `seconds`. */
  execution(seconds: number): void;
  /**
   * A new result reached its last subscriber `seconds` after the upstream update that caused it
   * arrived (after the run started, for a first result), with `subscribers` served.
   */
  fanout(seconds: number, subscribers: number): void;
}

const NO_OBSERVER: LiveObserver = { execution: () => {}, fanout: () => {} };

/** The JSON text of each delivered result that has no errors (see `serializedResult`). */
const serializedResults = new WeakMap<ExecutionResult, string>();

/**
 * The JSON text of a result a live operation delivered, made once for all its subscribers;
 * undefined for a result with errors (the transport's own error handling must see those).
 */
export function serializedResult(result: ExecutionResult): string | undefined {
  return serializedResults.get(result);
}

/** Seconds since `start` (a `performance.now()` reading). */
function secondsSince(start: number): number {
  return (performance.now() - start) / 1_000;
}

type State = "idle" | "running" | "disposed";

export class LiveOperation {
  private state: State = "idle";
  private readonly dependencies = new Map<string, Dependency>();
  private rerunRequested = false;
  private scheduled = false;
  private lastSent: string | null = null;
  private lastResult: ExecutionResult | null = null;
  private readonly sinks = new Set<LiveSink>();
  /** Kept across executions (ConvexAccess.liveState). */
  private readonly liveState = new Map<string, unknown>();
  /** Executions run (first run and reruns), for tests. */
  executions = 0;
  /** When the first upstream update not yet answered by a delivered result arrived (performance.now()). */
  private updatedAt: number | null = null;
  /** Where the next fan-out starts in the sinks (see `deliver`). */
  private fanoutNext = 0;

  /**
   * @param firstResultTimeoutMs how long an execution waits for a query's first result before
   *   sending `CONVEX_UNAVAILABLE` (it keeps waiting, and sends the data once it arrives)
   */
  constructor(
    private readonly upstream: UpstreamSessions,
    private readonly token: string | null,
    private readonly execute: LiveExecutor,
    private readonly firstResultTimeoutMs = 30_000,
    private readonly observer: LiveObserver = NO_OBSERVER,
  ) {}

  /** Adds a receiver; it gets the latest result at once if there is one. */
  addSink(sink: LiveSink): void {
    this.sinks.add(sink);
    if (this.lastResult !== null) sink.push(this.lastResult);
    if (this.state === "idle" && this.executions === 0 && !this.scheduled) void this.run();
  }

  /** Removes a receiver; returns how many are left. */
  removeSink(sink: LiveSink): number {
    this.sinks.delete(sink);
    return this.sinks.size;
  }

  /** Releases every upstream subscription. */
  dispose(): void {
    this.state = "disposed";
    for (const dependency of this.dependencies.values()) dependency.release();
    this.dependencies.clear();
    this.sinks.clear();
  }

  private schedule(): void {
    if (this.state === "disposed") return;
    if (this.state === "running") {
      this.rerunRequested = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current upstream Transition delivered all its results.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  /**
   * Hands `result` to every sink, yielding to the event loop between batches so a fan-out to
   * thousands of subscribers does not stall everything else (HTTP, pings, upstream messages).
   *
   * A newer result takes over a fan-out that is still running, from where it stopped: the sinks
   * not yet served have waited longest, and starting over from the first would starve the last
   * ones for as long as results keep coming faster than one whole fan-out.
   */
  private deliver(result: ExecutionResult, since: number): void {
    const sinks = [...this.sinks];
    const count = sinks.length;
    const start = count === 0 ? 0 : this.fanoutNext % count;
    let served = 0;
    const sendBatch = (): void => {
      if (this.state === "disposed" || this.lastResult !== result) return; // a newer one took over
      const to = Math.min(served + FANOUT_BATCH, count);
      for (; served < to; served++) {
        const sink = sinks[(start + served) % count];
        if (sink !== undefined && this.sinks.has(sink)) sink.push(result);
      }
      // Where a newer result's fan-out would carry on; once complete, the next starts here again.
      this.fanoutNext = served < count ? start + served : start;
      if (served < count) setImmediate(sendBatch);
      else this.observer.fanout(secondsSince(since), count);
    };
    sendBatch();
  }

  private dependency(path: string, args: Record<string, Value>): Dependency {
    const key = subscriptionKey(path, args);
    const existing = this.dependencies.get(key);
    if (existing !== undefined) return existing;
    let resolveFirst: () => void = () => {};
    const dependency: Dependency = {
      path,
      args,
      latest: null,
      waitedOut: false,
      firstResult: new Promise<void>((resolve) => {
        resolveFirst = resolve;
      }),
      release: () => {},
    };
    this.dependencies.set(key, dependency);
    const upstream = this.upstream.subscribe(this.token, path, args, (update) => {
      if (update === dependency.latest) return; // the result it already holds
      const first = dependency.latest === null;
      dependency.latest = update;
      if (first) resolveFirst();
      if (!first || dependency.waitedOut) {
        this.updatedAt ??= performance.now();
        this.schedule();
      }
    });
    dependency.release = upstream.release;
    if (upstream.latest !== null) {
      dependency.latest = upstream.latest;
      resolveFirst();
    }
    return dependency;
  }

  private async arrivesInTime(dependency: Dependency): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.firstResultTimeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([dependency.firstResult.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    if (this.state !== "idle") return;
    this.state = "running";
    this.rerunRequested = false;
    this.executions++;
    const started = performance.now();
    const since = this.updatedAt ?? started;
    this.updatedAt = null;
    const reads = this.snapshotReads();
    const result = await this.executeWith(reads);
    this.observer.execution(secondsSince(started));
    if ((this.state as State) === "disposed") return;
    this.releaseUnused(reads.used);
    this.state = "idle";
    if (reads.incomplete && !reads.unavailable) {
      // Not emitted: it runs again once the missing first results arrived.
      this.updatedAt ??= since;
      this.schedule();
      return;
    }
    this.publish(result, since);
    if (this.rerunRequested) this.schedule();
  }

  /** What one execution reads: every dependency's latest result, taken at one instant. */
  private snapshotReads(): SnapshotReads {
    const snapshot = new Map<Dependency, UpstreamUpdate | null>();
    for (const dependency of this.dependencies.values())
      snapshot.set(dependency, dependency.latest);
    return {
      snapshot,
      transitionsAtSnapshot: this.upstream.transitionCount(this.token),
      used: new Set(),
      incomplete: false,
      unavailable: false,
    };
  }

  /** Executes the operation once, reading Convex queries from `reads`; errors become results. */
  private async executeWith(reads: SnapshotReads): Promise<ExecutionResult> {
    const access: ConvexAccess = {
      liveState: this.liveState,
      journaled: (path, args) => {
        const key = subscriptionKey(path, args as Record<string, Value>);
        const update = this.dependencies.get(key)?.latest;
        return update != null && "journaled" in update && update.journaled === true;
      },
      run: async (kind, path, args) => {
        if (kind !== "query") {
          throw new GraphQLError(
            `A live operation can only read Convex queries; ${path} is a ${kind}.`,
          );
        }
        return this.readQuery(reads, path, args as Record<string, Value>);
      },
    };
    try {
      return await this.execute(access);
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] };
    }
  }

  /** One query's result as of the snapshot, waiting for its first result when it has none. */
  private async readQuery(
    reads: SnapshotReads,
    path: string,
    args: Record<string, Value>,
  ): Promise<unknown> {
    const dependency = this.dependency(path, args);
    reads.used.add(dependency);
    let update = reads.snapshot.get(dependency) ?? null;
    // A query first read during this execution belongs to the snapshot if the client already
    // held its result and has received no Transition since the snapshot was taken.
    if (
      update === null &&
      !reads.snapshot.has(dependency) &&
      this.upstream.transitionCount(this.token) === reads.transitionsAtSnapshot
    ) {
      update = dependency.latest;
    }
    if (update === null) update = await this.firstResultOf(reads, dependency, path);
    if ("error" in update) throw toGraphQLError(update.error, path);
    return update.value;
  }

  /**
   * Waits for `dependency`'s first result (the execution is then incomplete: not emitted).
   * @throws GraphQLError `CONVEX_UNAVAILABLE` when it does not come in time (it is still awaited).
   */
  private async firstResultOf(
    reads: SnapshotReads,
    dependency: Dependency,
    path: string,
  ): Promise<UpstreamUpdate> {
    reads.incomplete = true;
    if (!(await this.arrivesInTime(dependency))) {
      dependency.waitedOut = true;
      reads.unavailable = true;
      throw new GraphQLError(
        `The Convex backend sent no result for ${path} within ${this.firstResultTimeoutMs} ms: it may be unreachable. This subscription stays open and delivers the data once it arrives.`,
        { extensions: { code: ERROR_CODES.unavailable } },
      );
    }
    if (dependency.latest === null)
      throw new Error("unreachable: no result after the first result");
    return dependency.latest;
  }

  /** Releases the queries the last execution no longer read. */
  private releaseUnused(used: ReadonlySet<Dependency>): void {
    for (const [key, dependency] of this.dependencies) {
      if (!used.has(dependency)) {
        dependency.release();
        this.dependencies.delete(key);
      }
    }
  }

  /** Delivers `result` unless it is what subscribers already have. */
  private publish(result: ExecutionResult, since: number): void {
    const serialized = JSON.stringify(result);
    if (serialized === this.lastSent) return;
    this.lastSent = serialized;
    // Yoga serialises a result with its `stringify` when it has one: this text, made once.
    // (Not with errors: Yoga strips their internal extensions as it serialises them.)
    if (result.errors === undefined) {
      Object.defineProperty(result, "stringify", { value: () => serialized, enumerable: false });
      serializedResults.set(result, serialized);
    }
    this.lastResult = result;
    this.deliver(result, since);
  }
}
