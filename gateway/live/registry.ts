/**
 * Shares live operations: identical ones (same document, operation name, variables and
 * identity) run once upstream and fan out to every subscriber. The last subscriber leaving
 * disposes the operation and with it every upstream subscription it held.
 */
import type { ExecutionResult } from "graphql";
import type { UpstreamSessions } from "../upstream/sessions.ts";
import { LiveOperation, type LiveExecutor, type LiveObserver } from "./live_operation.ts";
import { PushIterator, type PushIteratorHooks } from "./push_iterator.ts";

/**
 * A transport's way to deliver a result without the stream (e.g. writing its pre-serialised
 * bytes to a socket): returns false when it cannot, and the result goes through the stream.
 */
export type DirectSink = (result: ExecutionResult) => boolean;

export interface LiveKey {
  readonly document: string;
  readonly operationName: string | null;
  readonly variables: unknown;
  readonly token: string | null;
}

/**
 * One subscriber of a live operation: its stream and that stream's hooks, in two objects and no
 * closures (a live operation may have tens of thousands of subscribers).
 */
class LiveSubscriber implements PushIteratorHooks<ExecutionResult> {
  readonly stream: PushIterator<ExecutionResult> = new PushIterator(this, true);

  constructor(
    private readonly registry: LiveRegistry,
    private readonly operation: LiveOperation,
    private readonly sink: DirectSink | undefined,
  ) {}

  returned(): void {
    this.registry.unsubscribed(this.operation, this.stream);
  }

  direct(result: ExecutionResult): boolean {
    if (this.sink === undefined || !this.sink(result)) return false;
    this.registry.directDeliveries++;
    return true;
  }
}

export class LiveRegistry {
  private readonly operations = new Map<string, LiveOperation>();
  /** Each operation's key in `operations` (its subscribers share this one string). */
  private readonly keys = new Map<LiveOperation, string>();
  private subscribers = 0;
  /** Results a transport's direct sink delivered (the fast path), since the start. */
  directDeliveries = 0;

  constructor(
    private readonly upstream: UpstreamSessions,
    /** See LiveOperation: how long to wait for a first result before reporting the backend unreachable. */
    private readonly firstResultTimeoutMs = 30_000,
    /** Told about each execution and fan-out (the gateway's metrics). */
    private readonly observer?: LiveObserver,
  ) {}

  /** Subscribers of all live operations (one per graphql-ws or SSE subscription). */
  get subscriberCount(): number {
    return this.subscribers;
  }

  /** Number of distinct live operations running. */
  get size(): number {
    return this.operations.size;
  }

  /** Total executions of all running live operations (for tests). */
  executions(): number {
    let total = 0;
    for (const operation of this.operations.values()) total += operation.executions;
    return total;
  }

  /**
   * Subscribes to the live operation for `key`, creating it with `execute` if needed. With
   * `direct`, results are offered to it whenever the stream's consumer is waiting (see
   * push_iterator.ts), so a fan-out skips the stream's per-subscriber promises.
   */
  subscribe(
    key: LiveKey,
    execute: LiveExecutor,
    direct?: DirectSink,
  ): AsyncIterableIterator<ExecutionResult> {
    const id = JSON.stringify([key.document, key.operationName, key.variables ?? null, key.token]);
    let operation = this.operations.get(id);
    if (operation === undefined) {
      operation = new LiveOperation(
        this.upstream,
        key.token,
        execute,
        this.firstResultTimeoutMs,
        this.observer,
      );
      this.operations.set(id, operation);
      this.keys.set(operation, id);
    }
    this.subscribers++;
    const subscriber = new LiveSubscriber(this, operation, direct);
    operation.addSink(subscriber.stream);
    return subscriber.stream;
  }

  /** A subscriber's stream ended: the last one leaving disposes its operation. */
  unsubscribed(operation: LiveOperation, stream: PushIterator<ExecutionResult>): void {
    this.subscribers--;
    if (operation.removeSink(stream) === 0) {
      operation.dispose();
      const id = this.keys.get(operation);
      this.keys.delete(operation);
      if (id !== undefined && this.operations.get(id) === operation) this.operations.delete(id);
    }
  }

  /** Ends every live operation. */
  dispose(): void {
    for (const operation of this.operations.values()) operation.dispose();
    this.operations.clear();
    this.keys.clear();
  }
}
