/**
 * The one recorder of deliveries every test uses, whatever pushes them (a graphql-ws
 * subscription, `ConvexClient.onUpdate`, SSE, Apollo or urql observables): the values and errors
 * in order, whether it completed, and waits that are all bounded. Each client gets a thin adapter
 * that feeds a {@link Sink} (`record` in test/gateway/support/gateway.ts and in
 * test/sync/support/clients.ts).
 */
import { STEP_MS, within } from "./waits.ts";

/** Where an adapter puts what its client delivers. */
export interface Sink<T> {
  readonly value: (value: T) => void;
  readonly error: (error: unknown) => void;
  readonly complete: () => void;
}

/** Marks "not yet" for {@link Recorder.waitFor}'s check. */
const WAITING = Symbol("waiting");

export class Recorder<T> implements Disposable {
  /** Every value delivered, in order. */
  readonly values: T[] = [];
  /** Every error delivered, in order. */
  readonly errors: unknown[] = [];
  completed = false;
  /** Values handed out by {@link next} so far. */
  private taken = 0;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  /** `subscribe` starts the subscription, feeding `sink`, and returns how to stop it. */
  constructor(subscribe: (sink: Sink<T>) => () => void) {
    this.unsubscribe = subscribe({
      value: (value) => this.changed(() => this.values.push(value)),
      error: (error) => this.changed(() => this.errors.push(error)),
      complete: () => this.changed(() => (this.completed = true)),
    });
  }

  /** The first error delivered, if any. */
  get error(): unknown {
    return this.errors[0];
  }

  /** Deliveries so far (values and errors). */
  get count(): number {
    return this.values.length + this.errors.length;
  }

  /** The latest value; fails when nothing was delivered yet. */
  get latest(): T {
    if (this.values.length === 0) throw new Error("No value was delivered yet.");
    return this.values[this.values.length - 1] as T;
  }

  /** Values delivered but not taken by {@link next} yet. */
  get pending(): number {
    return this.values.length - this.taken;
  }

  /** Resolves once `condition` holds (checked now and after every delivery). */
  async until(condition: () => boolean, what: string, ms = STEP_MS): Promise<void> {
    await this.waitFor(() => (condition() ? undefined : WAITING), what, ms);
  }

  /** Resolves with the first delivered value (past or future) that satisfies `predicate`. */
  async value(predicate: (value: T) => boolean, what: string, ms = STEP_MS): Promise<T> {
    return this.waitFor(
      () => {
        const index = this.values.findIndex(predicate);
        return index === -1 ? WAITING : { value: this.values[index] as T };
      },
      what,
      ms,
    ).then(({ value }) => value);
  }

  /** Resolves once `n` values were delivered in all. */
  async atLeast(n: number, what: string, ms = STEP_MS): Promise<T[]> {
    return this.waitFor(() => (this.values.length >= n ? this.values : WAITING), what, ms);
  }

  /** The next value not taken yet; rejects if an error or the end comes first. */
  async next(what: string, ms = STEP_MS): Promise<T> {
    const value = await this.waitFor(
      () => {
        if (this.taken < this.values.length) return { value: this.values[this.taken] as T };
        if (this.errors.length > 0) {
          throw new Error(
            `The subscription failed while waiting for ${what}: ${describeFailure(this.error)}`,
          );
        }
        if (this.completed) throw new Error(`The subscription completed while waiting for ${what}`);
        return WAITING;
      },
      what,
      ms,
    );
    this.taken++;
    return value.value;
  }

  /** The error the subscription fails with; rejects if a value not taken yet or the end comes first. */
  async failure(what: string, ms = STEP_MS): Promise<unknown> {
    return this.waitFor(
      () => {
        if (this.errors.length > 0) return { error: this.error };
        if (this.pending > 0)
          throw new Error(`Expected ${what}, got ${JSON.stringify(this.values[this.taken])}`);
        if (this.completed) throw new Error(`Expected ${what}, the subscription completed`);
        return WAITING;
      },
      what,
      ms,
    ).then(({ error }) => error);
  }

  /** Resolves once the subscription ends (completes or errors). */
  async ended(what: string, ms = STEP_MS): Promise<void> {
    await this.until(() => this.completed || this.errors.length > 0, what, ms);
  }

  [Symbol.dispose](): void {
    this.unsubscribe();
  }

  private changed(apply: () => unknown): void {
    apply();
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves with what `check` returns once it is not {@link WAITING}; rejects if it throws. */
  private async waitFor<R>(check: () => R | typeof WAITING, what: string, ms: number): Promise<R> {
    let listener: (() => void) | undefined;
    try {
      return await within(
        new Promise<R>((resolve, reject) => {
          listener = () => {
            try {
              const result = check();
              if (result !== WAITING) resolve(result);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          };
          this.listeners.add(listener);
          listener();
        }),
        ms,
        what,
      );
    } finally {
      if (listener !== undefined) this.listeners.delete(listener);
    }
  }
}

/** A readable description of anything a client reported as an error (a close event included). */
export function describeFailure(error: unknown): string {
  if (Array.isArray(error)) return JSON.stringify(error);
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code, reason } = error as { code: unknown; reason?: unknown };
    return `close ${String(code)} ${typeof reason === "string" ? reason : ""}`;
  }
  return JSON.stringify(error);
}
