/**
 * The imports `npx convex import` started, by id, and how long each is kept: an import waiting
 * for confirmation holds its rows and its file's bytes (charged to the byte budget) until it is
 * performed or expires; a finished import keeps only its state, for `queryImport`, until it is
 * forgotten. Every change is reported through `onChange`, since none of it commits.
 */
import { RequestError } from "../errors.ts";
import { describeDuration, ExpiryTimers, type ByteBudget } from "./import_limits.ts";
import type { ImportRecord } from "./import_state.ts";

/** Imports remembered for `queryImport:list` (finished ones forgotten first). */
const KEPT_IMPORTS = 100;

function isFinished(record: ImportRecord): boolean {
  return record.state.state === "completed" || record.state.state === "failed";
}

function isWaiting(record: ImportRecord): boolean {
  return record.state.state === "waiting_for_confirmation";
}

export class ImportRecords {
  private readonly records = new Map<string, ImportRecord>();
  /** Waiting imports' expiry, and finished records' forgetting. */
  private readonly timers: ExpiryTimers;

  constructor(
    private readonly budget: ByteBudget,
    expireAfterMs: number,
    private readonly onChange: () => void,
  ) {
    this.timers = new ExpiryTimers(expireAfterMs);
  }

  get(importId: string): ImportRecord | undefined {
    return this.records.get(importId);
  }

  /** Every remembered import, oldest first. */
  all(): IterableIterator<ImportRecord> {
    return this.records.values();
  }

  /** Keeps `record`, forgetting the oldest finished imports (then waiting ones) past KEPT_IMPORTS. */
  add(record: ImportRecord): void {
    this.records.set(record.id, record);
    for (const evictable of [isFinished, isWaiting]) {
      for (const old of this.records.values()) {
        if (this.records.size <= KEPT_IMPORTS) return;
        if (old !== record && evictable(old)) this.forget(old);
      }
    }
  }

  /** The parsed import waits for confirmation, for `expireAfterMs` at most. */
  awaitConfirmation(record: ImportRecord): void {
    this.timers.schedule(record.id, () => this.expireUnconfirmed(record));
    this.onChange();
  }

  /**
   * The import waiting for confirmation under `importId`, now in progress.
   * @throws RequestError NotFound, ImportExpired, or BadRequest when it is not waiting
   */
  startPerforming(importId: string): ImportRecord {
    const record = this.records.get(importId);
    if (record === undefined) {
      throw new RequestError(
        "NotFound",
        `No import with this id: unknown, or forgotten ${this.expiry} after it finished.`,
      );
    }
    if (record.expired) throw new RequestError("ImportExpired", this.expiredMessage());
    if (record.state.state !== "waiting_for_confirmation") {
      throw new RequestError("BadRequest", "No import with this id is waiting for confirmation.");
    }
    this.timers.cancel(record.id);
    record.state = { state: "in_progress", progress_message: "Importing" };
    this.onChange();
    return record;
  }

  /** A finished import keeps its state only: rows and bytes go, and the record is forgotten later. */
  finished(record: ImportRecord): void {
    record.documents = [];
    this.budget.release(record.heldBytes);
    record.heldBytes = 0;
    this.timers.schedule(record.id, () => this.forget(record));
    this.onChange();
  }

  /** Stops every timer (engine close). */
  close(): void {
    this.timers.close();
  }

  private get expiry(): string {
    return describeDuration(this.timers.afterMs);
  }

  private expiredMessage(): string {
    return `This import expired: it waited for confirmation longer than ${this.expiry}, so its rows were dropped. Run \`npx convex import\` again.`;
  }

  private expireUnconfirmed(record: ImportRecord): void {
    record.state = { state: "failed", error_message: this.expiredMessage() };
    record.expired = true;
    this.finished(record);
  }

  private forget(record: ImportRecord): void {
    this.timers.cancel(record.id);
    this.budget.release(record.heldBytes);
    record.heldBytes = 0;
    record.documents = [];
    this.records.delete(record.id);
    this.onChange();
  }
}
