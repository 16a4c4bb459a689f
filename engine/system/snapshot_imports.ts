/**
 * Single-table imports as Convex's CLI drives them (`npx convex import --table T FILE`): the file
 * arrives in parts under an upload token (import_uploads.ts), is parsed when the upload finishes,
 * waits for the CLI's confirmation, then is written in ONE transaction (all rows or none; the
 * table's existing documents deleted first with `--replace`). The CLI follows an import through
 * the `_system/cli/queryImport` query (cli_functions.ts).
 *
 *   finish_upload ──▶ uploaded ──parsed──▶ waiting_for_confirmation ──perform──▶ in_progress
 *                        │                         │                                │       │
 *       unreadable file, │        unconfirmed for  │                   write failed │       │ written
 *       table not empty  ▼        expireAfterMs    ▼                                ▼       ▼
 *                      failed                    failed (perform: ImportExpired)  failed  completed
 *
 *   failed | completed ──expireAfterMs later──▶ forgotten (perform: NotFound)
 *   past KEPT_IMPORTS records, the oldest finished (else waiting) ones are forgotten at once
 *
 * Imports live in memory (a restart forgets them, not their rows). Unfinished uploads and imports
 * waiting for confirmation hold at most `maxHeldBytes` in all (import_limits.ts); a finished
 * import keeps no rows (import_records.ts).
 */
import { parseImportFile } from "./import_formats.ts";
import {
  ByteBudget,
  DEFAULT_EXPIRE_AFTER_MS,
  DEFAULT_MAX_HELD_BYTES,
  type SnapshotImportOptions,
} from "./import_limits.ts";
import { ImportRecords } from "./import_records.ts";
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

export class SnapshotImports {
  private readonly budget: ByteBudget;
  private readonly uploads: UploadBuffers;
  private readonly records: ImportRecords;

  /**
   * @param onChange called whenever an import's state changes (nothing commits then, so cached
   *   `queryImport` results must be told)
   */
  constructor(
    private readonly target: ImportTarget,
    options: SnapshotImportOptions = {},
    onChange: () => void = () => {},
  ) {
    this.budget = new ByteBudget(options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES);
    const expireAfterMs = options.expireAfterMs ?? DEFAULT_EXPIRE_AFTER_MS;
    this.uploads = new UploadBuffers(this.budget, expireAfterMs);
    this.records = new ImportRecords(this.budget, expireAfterMs, onChange);
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
      heldBytes: file.length, // charged already, as the upload's
      expired: false,
    };
    this.records.add(record);
    try {
      record.documents = parseImportFile(request.format, file);
      record.state = confirmationOf(record, this.target.countDocuments(record.table));
    } catch (error) {
      record.state = failedState(error);
    }
    if (record.state.state === "waiting_for_confirmation") this.records.awaitConfirmation(record);
    else this.records.finished(record);
    return record.id;
  }

  /** Writes a confirmed import. @throws RequestError when it is not waiting for confirmation. */
  async perform(importId: string): Promise<void> {
    const record = this.records.startPerforming(importId);
    try {
      await this.target.write(record.table, record.documents, record.mode !== "append");
      record.state = { state: "completed", num_rows_written: BigInt(record.documents.length) };
    } catch (error) {
      record.state = failedState(error);
    } finally {
      this.records.finished(record);
    }
  }

  /** An import's state, as `_system/cli/queryImport` answers it. */
  stateOf(importId: string): { _id: string; state: ImportState } | null {
    const record = this.records.get(importId);
    return record === undefined ? null : { _id: record.id, state: record.state };
  }

  /** Every remembered import, oldest first. */
  list(): { _id: string; state: ImportState }[] {
    return [...this.records.all()].map((record) => ({ _id: record.id, state: record.state }));
  }

  /** Stops every expiry timer (engine close); what is held is dropped with the engine. */
  close(): void {
    this.uploads.close();
    this.records.close();
  }
}
