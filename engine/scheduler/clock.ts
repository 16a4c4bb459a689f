/**
 * The scheduler's clock, injectable so tests and benchmarks control time instead of sleeping.
 * The engine uses one clock for `Date.now()` inside functions, for `_creationTime`, and for
 * deciding when scheduled jobs and cron runs are due.
 */

/** Wall-clock time and wake-ups, in ms since the Unix epoch. */
export interface Clock {
  /** The current time in ms since the Unix epoch. */
  now(): number;
  /**
   * Calls `callback` once the clock reaches `atMs` (at once, asynchronously, if it already has).
   * Returns a function that cancels the wake-up. The wake-up never keeps the process alive.
   */
  wakeAt(atMs: number, callback: () => void): () => void;
}

/** setTimeout's largest delay (about 24.8 days): longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: `Date.now()` and unref'd timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  wakeAt(atMs, callback) {
    let timer: NodeJS.Timeout | null = null;
    const arm = (): void => {
      const delay = Math.max(0, atMs - Date.now());
      timer = setTimeout(delay > MAX_TIMER_MS ? arm : callback, Math.min(delay, MAX_TIMER_MS));
      timer.unref();
    };
    arm();
    return () => {
      if (timer !== null) clearTimeout(timer);
    };
  },
};

/**
 * A clock that moves only when told to (`advance`, `set`): for tests and benchmarks. Wake-ups
 * whose time has come are called, in time order, when the clock moves.
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly wakeUps = new Set<{ readonly atMs: number; readonly callback: () => void }>();

  /** @param startMs the initial time in ms since the Unix epoch. @default Date.now() */
  constructor(startMs: number = Date.now()) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  wakeAt(atMs: number, callback: () => void): () => void {
    const wakeUp = { atMs, callback };
    if (atMs <= this.current) {
      setImmediate(callback);
      return () => {};
    }
    this.wakeUps.add(wakeUp);
    return () => this.wakeUps.delete(wakeUp);
  }

  /** Moves the clock forward by `ms` and calls the wake-ups that became due. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  /** Moves the clock to `ms` (never backwards) and calls the wake-ups that became due. */
  set(ms: number): void {
    if (ms < this.current) throw new Error(`ManualClock cannot go back (${ms} < ${this.current}).`);
    this.current = ms;
    const due = [...this.wakeUps].filter((w) => w.atMs <= ms).sort((a, b) => a.atMs - b.atMs);
    for (const wakeUp of due) {
      this.wakeUps.delete(wakeUp);
      wakeUp.callback();
    }
  }
}
