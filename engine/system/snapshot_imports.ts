/**
 * Single-table imports as Convex's CLI drives them (`npx convex import --table T FILE`): the file
 * arrives in parts under an upload token (import_uploads.ts), is parsed when the upload finishes,
 * waits for the CLI's confirmation, then is written in ONE transaction (all rows or none; the
 * table's existing documents deleted first with `--replace`). The CLI follows an import through
 * the `_system/cli/queryImport` query (cli_functions.ts).
 *
 *   finish_upload ─▶ uploaded ─parsed─▶ waiting_for_confirmation ─perform─▶ in_progress ─▶ completed
 *                       │                        │                              │             │
 *                       │ unreadable file,       │ unconfirmed for              │ write       │
 *                       │ or a table not empty   │ expireAfterMs (ImportExpired)│ failed      │
 *                       ▼                        ▼                              ▼             ▼
 *                     failed ◀─────────────────failed ◀────────────────────── failed      (finished)
 *
 *   finished (completed | failed) ── expireAfterMs later, or past KEPT_IMPORTS ──▶ forgotten
 *
 * Imports live in memory (a restart forgets them, not their rows). Unfinished uploads and imports
 * waiting for confirmation hold at most `maxHeldBytes` in all (import_limits.ts); a record keeps
 * no rows once it finishes, and at most KEPT_IMPORTS records are kept.
 */
import { RequestError } from "../errors.ts";
import { parseImportFile } from "./import_formats.ts";
import {
  ByteBudget,
  DEFAULT_EXPIRE_AFTER_MS,
  DEFAULT_MAX_HELD_BYTES,
  describeDuration,
  ExpiryTimers,
  type SnapshotImportOptions,
} from "./import_limits.ts";
import {
  confirmationOf,
  failedState,
  type FinishUploadRequest,
  type ImportRecord,
  type ImportState,
  type ImportTarget,
} from "./import_state.ts";
import { newToken, UploadBuffers } from "./import_uploads.ts";

export type { FinishUploadRequest, ImportMode, ImportState, ImportTarget } from "./import_state.ts";

/** Imports remembered for `queryImport:list` (finished ones forgotten first). */
const KEPT_IMPORTS = 100;

export class SnapshotImports {
  private readonly budget: ByteBudget;
  private readonly uploads: UploadBuffers;
  private readonly imports = new Map<string, ImportRecord>();
  /** Waiting imports' expiry, and finished records' forgetting. */
  private readonly timers: ExpiryTimers;

  /**
   * @param onChange called whenever an import's state changes (nothing commits then, so cached
   *   `queryImport` results must be told)
   */
  constructor(
    private readonly target: ImportTarget,
    options: SnapshotImportOptions = {},
    private readonly onChange: () => void = () => {},
  ) {
    this.budget = new ByteBudget(options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES);
    const expireAfterMs = options.expireAfterMs ?? DEFAULT_EXPIRE_AFTER_MS;
    this.uploads = new UploadBuffers(this.budget, expireAfterMs);
    this.timers = new ExpiryTimers(expireAfterMs);
  }

  /** The most bytes held at once (also the longest part a request may carry). */
  get maxHeldBytes(): number {
    return this.budget.limit;
  }

  /** Bytes held now by unfinished uploads and imports waiting for confirmation. */
  get heldBytes(): number {
    return this.budget.heldBytes;
  }

  /** A new upload's token. @throws RequestError past the count of unfinished uploads. */
  startUpload(): string {
    return this.uploads.start();
  }

  /** Keeps one part of an upload; returns the part's token. @throws RequestError */
  addPart(token: string, bytes: Buffer): string {
    return this.uploads.add(token, bytes);
  }

  /** Parses a finished upload into an import waiting for confirmation (or failed). */
  finishUpload(token: string, request: FinishUploadRequest): string {
    const file = this.uploads.take(token);
    const record: ImportRecord = {
      id: newToken(),
      table: request.tableName,
      mode: request.mode,
      documents: [],
      state: { state: "uploaded" },
      heldBytes: file.length,
      expired: false,
    };
    this.remember(record);
    try {
      record.documents = parseImportFile(request.format, file);
      record.state = confirmationOf(record, this.target.countDocuments(record.table));
    } catch (error) {
      record.state = failedState(error);
    }
    if (record.state.state === "waiting_for_confirmation") {
      this.timers.schedule(record.id, () => this.expireUnconfirmed(record));
    } else {
      this.settle(record);
    }
    this.onChange();
    return record.id;
  }

  /** Writes a confirmed import. @throws RequestError when it is not waiting for confirmation. */
  async perform(importId: string): Promise<void> {
    const record = this.waitingRecord(importId);
    this.timers.cancel(record.id);
    record.state = { state: "in_progress", progress_message: "Importing" };
    this.onChange();
    try {
      await this.target.write(record.table, record.documents, record.mode !== "append");
      record.state = { state: "completed", num_rows_written: BigInt(record.documents.length) };
    } catch (error) {
      record.state = failedState(error);
    } finally {
      this.settle(record);
      this.onChange();
    }
  }

  private waitingRecord(importId: string): ImportRecord {
    const record = this.imports.get(importId);
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
    return record;
  }

  /** An import's state, as `_system/cli/queryImport` answers it. */
  stateOf(importId: string): { _id: string; state: ImportState } | null {
    const record = this.imports.get(importId);
    return record === undefined ? null : { _id: record.id, state: record.state };
  }

  /** Every remembered import, oldest first. */
  list(): { _id: string; state: ImportState }[] {
    return [...this.imports.values()].map((record) => ({ _id: record.id, state: record.state }));
  }

  /** Stops every expiry timer (engine close); what is held is dropped with the engine. */
  close(): void {
    this.uploads.close();
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
    this.settle(record);
    this.onChange();
  }

  /** A finished import keeps its state only: rows and bytes go, and the record is forgotten later. */
  private settle(record: ImportRecord): void {
    record.documents = [];
    this.budget.release(record.heldBytes);
    record.heldBytes = 0;
    this.timers.schedule(record.id, () => this.forget(record));
  }

  private forget(record: ImportRecord): void {
    this.timers.cancel(record.id);
    this.budget.release(record.heldBytes);
    record.heldBytes = 0;
    record.documents = [];
    this.imports.delete(record.id);
    this.onChange();
  }

  /** Keeps `record`, forgetting the oldest finished imports (then waiting ones) past KEPT_IMPORTS. */
  private remember(record: ImportRecord): void {
    this.imports.set(record.id, record);
    for (const evictable of [isFinished, isWaiting]) {
      for (const old of this.imports.values()) {
        if (this.imports.size <= KEPT_IMPORTS) return;
        if (old !== record && evictable(old)) this.forget(old);
      }
    }
  }
}

function isFinished(record: ImportRecord): boolean {
  return record.state.state === "completed" || record.state.state === "failed";
}

function isWaiting(record: ImportRecord): boolean {
  return record.state.state === "waiting_for_confirmation";
}
