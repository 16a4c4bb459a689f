/**
 * A minimal push-based async iterator: `push` values in, consumers pull them out in order;
 * `return()` (a client completing or disconnecting) runs the cleanup once.
 *
 * With `latestOnly`, a value pushed while another still waits replaces it: live results are whole
 * snapshots, so a slow consumer gets the newest one next and memory stays bounded.
 *
 * With `direct`, a value pushed while the consumer waits (so everything handed out before has
 * been consumed, and order is kept) is first offered to `direct`, which may deliver it by other
 * means (a transport writing pre-serialised bytes) and return true; the consumer keeps waiting.
 */
export interface PushIterator<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Ends the stream after the values already pushed. */
  end(): void;
}

export function pushIterator<T>(
  onReturn: () => void,
  latestOnly = false,
  direct?: (value: T) => boolean,
): PushIterator<T> {
  const buffer: T[] = [];
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  let done = false;
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    onReturn();
  };
  const finish = (): void => {
    done = true;
    for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
    cleanup();
  };
  const iterator: PushIterator<T> = {
    push(value) {
      if (done) return;
      if (waiting.length > 0 && direct?.(value) === true) return;
      const resolve = waiting.shift();
      if (resolve !== undefined) resolve({ value, done: false });
      else if (latestOnly) buffer.splice(0, buffer.length, value);
      else buffer.push(value);
    },
    end() {
      if (buffer.length === 0) finish();
      else done = true;
    },
    next() {
      const value = buffer.shift();
      if (value !== undefined) return Promise.resolve({ value, done: false });
      if (done) {
        cleanup();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      buffer.length = 0;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown) {
      buffer.length = 0;
      finish();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
