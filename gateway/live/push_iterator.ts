/**
 * A minimal push-based async iterator: `push` values in, consumers pull them out in order;
 * `return()` (a client completing or disconnecting) tells its owner once.
 *
 * With `latestOnly`, a value pushed while another still waits replaces it: live results are whole
 * snapshots, so a slow consumer gets the newest one next and memory stays bounded.
 *
 * With a `direct` hook, a value pushed while the consumer waits (so everything handed out before
 * has been consumed, and order is kept) is first offered to it, which may deliver it by other
 * means (a transport writing pre-serialised bytes) and return true; the consumer keeps waiting.
 *
 * One object per stream, its methods on the prototype: a live operation holds one per subscriber,
 * so closures here would be paid for thousands of times.
 */

/** What the owner of a stream is told (one object, so that a stream costs no closures). */
export interface PushIteratorHooks<T> {
  /** The stream ended (returned, thrown into, or ended and drained); called once. */
  returned(): void;
  /** Delivers `value` by other means while the consumer waits; false: through the stream. */
  direct?(value: T): boolean;
}

export class PushIterator<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private readonly waiting: ((result: IteratorResult<T>) => void)[] = [];
  private done = false;
  private cleaned = false;

  constructor(
    private readonly hooks: PushIteratorHooks<T>,
    private readonly latestOnly = false,
  ) {}

  push(value: T): void {
    if (this.done) return;
    if (this.waiting.length > 0 && this.hooks.direct?.(value) === true) return;
    const resolve = this.waiting.shift();
    if (resolve !== undefined) resolve({ value, done: false });
    else if (this.latestOnly) this.buffer.splice(0, this.buffer.length, value);
    else this.buffer.push(value);
  }

  /** Ends the stream after the values already pushed. */
  end(): void {
    if (this.buffer.length === 0) this.finish();
    else this.done = true;
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.buffer.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.done) {
      this.cleanup();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.finish();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    this.done = true;
    for (const resolve of this.waiting.splice(0)) resolve({ value: undefined, done: true });
    this.cleanup();
  }

  private cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    this.hooks.returned();
  }
}

/** A stream whose end runs `onReturn`, with an optional direct way (see `PushIteratorHooks`). */
export function pushIterator<T>(
  onReturn: () => void,
  latestOnly = false,
  direct?: (value: T) => boolean,
): PushIterator<T> {
  return new PushIterator(
    direct === undefined ? { returned: onReturn } : { returned: onReturn, direct },
    latestOnly,
  );
}
