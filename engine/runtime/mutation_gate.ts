/**
 * Guarantees progress for mutations that lost an OCC race. Fresh mutations run concurrently
 * (shared mode); a mutation retrying after a conflict runs exclusively: new mutations wait until
 * it finishes, and it starts only after the running ones finished. A retry therefore cannot
 * conflict again with another mutation, so a hot document (16 callers incrementing one counter)
 * never starves anyone.
 *
 *   idle <-> shared(n running) --retry queued--> draining --n = 0--> exclusive --done--> idle
 */
interface Waiter {
  readonly exclusive: boolean;
  readonly grant: () => void;
}

export class MutationGate {
  private running = 0;
  private exclusiveHeld = false;
  private readonly queue: Waiter[] = [];

  /** Enters in shared mode. Waits while an exclusive run is held or queued. */
  async enterShared(): Promise<() => void> {
    const release = this.tryEnterShared();
    if (release !== null) return release;
    await new Promise<void>((grant) => this.queue.push({ exclusive: false, grant }));
    return () => this.leaveShared();
  }

  /**
   * Enters in shared mode when nothing makes it wait (no exclusive run held or queued), else
   * returns null and queues nothing: the common case without a promise.
   */
  tryEnterShared(): (() => void) | null {
    if (this.exclusiveHeld || this.queue.length > 0) return null;
    this.running++;
    return () => this.leaveShared();
  }

  /** Enters alone: no other mutation runs until the returned release is called. */
  async enterExclusive(): Promise<() => void> {
    if (this.exclusiveHeld || this.running > 0 || this.queue.length > 0) {
      await new Promise<void>((grant) => this.queue.push({ exclusive: true, grant }));
    } else {
      this.exclusiveHeld = true;
    }
    return () => this.leaveExclusive();
  }

  private leaveShared(): void {
    this.running--;
    this.dispatch();
  }

  private leaveExclusive(): void {
    this.exclusiveHeld = false;
    this.dispatch();
  }

  /** Grants waiters in FIFO order: a run of shared waiters together, or one exclusive. */
  private dispatch(): void {
    while (!this.exclusiveHeld && this.queue.length > 0) {
      const next = this.queue[0];
      if (next === undefined) return;
      if (next.exclusive) {
        if (this.running > 0) return;
        this.queue.shift();
        this.exclusiveHeld = true;
        next.grant();
        return;
      }
      this.queue.shift();
      this.running++;
      next.grant();
    }
  }
}
