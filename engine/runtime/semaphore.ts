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
    if (this.available > 0) {
      this.available--;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
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
