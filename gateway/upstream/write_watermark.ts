/**
 * The write watermark: the commit timestamp of the latest write this gateway made, through any
 * identity. A session's pushed results may answer a read only once they are synced at or after
 * it (see freshness.ts).
 *
 * A mutation through a session's WebSocket tells its timestamp (`raise`). A write whose timestamp
 * the gateway does not see (an action, a mutation over HTTP) makes the watermark unknown until a
 * read of the backend's latest timestamp that started after the write has raised it:
 *
 *   known --afterWriteOfUnknownTimestamp--> unknown --latest-timestamp read covering it--> known
 */
export class WriteWatermark {
  private known = 0n;
  /** Writes of unknown timestamp completed so far, and how many of them a later read covers. */
  private unknownWrites = 0;
  private coveredWrites = 0;
  /** `unknownWrites` when the latest-timestamp read in flight started, or null. */
  private refreshCovering: number | null = null;

  /** @param latestTimestamp reads the backend's latest commit timestamp */
  constructor(private readonly latestTimestamp?: () => Promise<bigint>) {}

  /** The watermark, or null while it is unknown (and then a read that will cover it starts). */
  current(): bigint | null {
    if (this.coveredWrites >= this.unknownWrites) return this.known;
    this.refresh();
    return null;
  }

  /** A write through this gateway committed at `ts`. */
  raise(ts: bigint): void {
    if (ts > this.known) this.known = ts;
  }

  /** A write of unknown timestamp has completed. */
  afterWriteOfUnknownTimestamp(): void {
    this.unknownWrites++;
    this.refresh();
  }

  /** Reads the latest timestamp unless a read that covers every write so far is in flight. */
  private refresh(): void {
    const latestTimestamp = this.latestTimestamp;
    if (latestTimestamp === undefined || this.refreshCovering === this.unknownWrites) return;
    const covering = this.unknownWrites;
    this.refreshCovering = covering;
    latestTimestamp().then(
      (ts) => {
        // At or after every write completed before the read started.
        this.raise(ts);
        if (covering > this.coveredWrites) this.coveredWrites = covering;
        if (this.refreshCovering === covering) this.refreshCovering = null;
      },
      () => {
        // Still unknown: the next read that wants the session's results asks again.
        if (this.refreshCovering === covering) this.refreshCovering = null;
      },
    );
  }
}
