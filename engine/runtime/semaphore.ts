/**
 * A counting semaphore. Function executions take a slot while their user code runs, so a burst
 * of thousands of executions runs a bounded number at a time, and each one's time limit counts
 * from when it actually starts rather than from when it was queued.
 */
export class Semaphore {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly slots: number) {
    this.available = slots;
  }

  /** Resolves with a release function once a slot is free. */
  async acquire(): Promise<() => void> {
    return this.tryAcquire() ?? this.queue();
  }

  /**
   * A release function when a slot is free right now, else null (nothing queued). Lets callers
   * skip a promise and a turn of the microtask queue when they need not wait.
   */
  tryAcquire(): (() => void) | null {
    if (this.available <= 0) return null;
    this.available--;
    return this.releaser();
  }

  private async queue(): Promise<() => void> {
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.releaser();
  }

  /** Frees the slot (once, however often it is called) or hands it to the next waiter. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.available++;
    };
  }
}
