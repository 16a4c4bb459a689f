/**
 * Commit timestamps: u64 nanoseconds since the Unix epoch, strictly increasing, and larger
 * than every timestamp persisted before a restart (the oracle starts from the stored maximum).
 */
import type { Timestamp } from "../storage/types.ts";

export class TimestampOracle {
  constructor(
    private last: Timestamp,
    private readonly nowNanos: () => Timestamp = () => BigInt(Date.now()) * 1_000_000n,
  ) {}

  /** The last timestamp handed out (or recovered). */
  get latest(): Timestamp {
    return this.last;
  }

  /** A fresh timestamp: max(wall clock, last + 1). */
  next(): Timestamp {
    const now = this.nowNanos();
    this.last = now > this.last ? now : this.last + 1n;
    return this.last;
  }
}
