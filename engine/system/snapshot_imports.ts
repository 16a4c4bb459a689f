/**
 * Single-table imports as Convex's CLI drives them (`npx convex import --table T FILE`): the file
 * arrives in parts under an upload token, is parsed when the upload finishes, waits for the CLI's
 * confirmation, then is written in ONE transaction (all rows or none; the table's existing
 * documents deleted first with `--replace`). The CLI follows an import through the
 * `_system/cli/queryImport` query (cli_functions.ts).
 *
 *   finish_upload ──▶ uploaded ──parsed──▶ waiting_for_confirmation ──perform──▶ in_progress
 *                        │                                                     │        │
 *                        └──── unreadable file, or a table not empty ──▶ failed ◀───────┘
 *                                                                              completed ◀┘
 *
 * Imports live in memory (a restart forgets them, not their rows). Unfinished uploads hold at
 * most MAX_UPLOAD_BYTES in all; a part past it is refused (413) and its upload dropped.
 */
import { randomBytes } from "node:crypto";
import { RequestError } from "../errors.ts";
import type { DocumentValue } from "../storage/types.ts";
import { parseImportFile, type ImportFormat } from "./import_formats.ts";

/** The most bytes unfinished uploads may hold together. */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** Finished imports remembered for `queryImport:list`. */
const KEPT_IMPORTS = 100;

export type ImportMode = "requireEmpty" | "append" | "replace" | "replaceAll";

/** What the CLI reads from `_system/cli/queryImport` (Convex's field names). */
export type ImportState =
  | { readonly state: "uploaded" }
  | {
      readonly state: "waiting_for_confirmation";
      readonly message_to_confirm: string;
      readonly require_manual_confirmation: boolean;
    }
  | { readonly state: "in_progress"; readonly progress_message: string }
  | { readonly state: "completed"; readonly num_rows_written: bigint }
  | { readonly state: "failed"; readonly error_message: string };

/** Where imports write: the engine's tables. */
export interface ImportTarget {
  /** How many documents `table` holds now. */
  countDocuments(table: string): number;
  /** Writes `documents` in one transaction (after deleting the table's with `replace`). */
  write(table: string, documents: readonly DocumentValue[], replace: boolean): Promise<void>;
}

interface ImportRecord {
  readonly id: string;
  readonly table: string;
  readonly mode: ImportMode;
  documents: readonly DocumentValue[];
  state: ImportState;
}

export interface FinishUploadRequest {
  readonly tableName: string;
  readonly mode: ImportMode;
  readonly format: ImportFormat;
}

function newToken(): string {
  return randomBytes(16).toString("hex");
}

/** Convex's summary of what an import changes. */
function changeSummary(table: string, creates: number, deletes: number, existing: number): string {
  return [
    "Import change summary:",
    "table | create | delete |",
    "--------------------------",
    `${table} | ${creates} | ${deletes} of ${existing} |`,
  ].join("\n");
}

export class SnapshotImports {
  private readonly uploads = new Map<string, Buffer[]>();
  private uploadedBytes = 0;
  private readonly imports = new Map<string, ImportRecord>();

  constructor(private readonly target: ImportTarget) {}

  startUpload(): string {
    const token = newToken();
    this.uploads.set(token, []);
    return token;
  }

  /** Keeps one part of an upload; returns the part's token. @throws RequestError */
  addPart(token: string, bytes: Buffer): string {
    const parts = this.uploads.get(token);
    if (parts === undefined) throw new RequestError("NotFound", "Unknown or finished upload.");
    if (this.uploadedBytes + bytes.length > MAX_UPLOAD_BYTES) {
      this.dropUpload(token);
      throw new RequestError(
        "PayloadTooLarge",
        `Imports being uploaded may hold at most ${MAX_UPLOAD_BYTES} bytes in all.`,
      );
    }
    parts.push(bytes);
    this.uploadedBytes += bytes.length;
    return `${token}:${parts.length}`;
  }

  private dropUpload(token: string): Buffer {
    const parts = this.uploads.get(token) ?? [];
    this.uploads.delete(token);
    const file = Buffer.concat(parts);
    this.uploadedBytes -= file.length;
    return file;
  }

  /** Parses a finished upload into an import waiting for confirmation (or failed). */
  finishUpload(token: string, request: FinishUploadRequest): string {
    if (!this.uploads.has(token)) throw new RequestError("NotFound", "Unknown or finished upload.");
    const file = this.dropUpload(token);
    const record: ImportRecord = {
      id: newToken(),
      table: request.tableName,
      mode: request.mode,
      documents: [],
      state: { state: "uploaded" },
    };
    this.remember(record);
    try {
      record.documents = parseImportFile(request.format, file);
      record.state = this.confirmationOf(record);
    } catch (error) {
      record.state = { state: "failed", error_message: (error as Error).message };
    }
    return record.id;
  }

  private confirmationOf(record: ImportRecord): ImportState {
    if (record.mode === "replaceAll") {
      const error_message =
        "--replace-all (clearing every other table) is not supported by the embedded backend: use --replace.";
      return { state: "failed", error_message };
    }
    const existing = this.target.countDocuments(record.table);
    if (record.mode === "requireEmpty" && existing > 0) {
      const error_message = `Table "${record.table}" has ${existing} documents: import with --append or --replace.`;
      return { state: "failed", error_message };
    }
    const deletes = record.mode === "append" ? 0 : existing;
    return {
      state: "waiting_for_confirmation",
      message_to_confirm: changeSummary(record.table, record.documents.length, deletes, existing),
      require_manual_confirmation: deletes > 0,
    };
  }

  /** Writes a confirmed import. @throws RequestError when it is not waiting for confirmation. */
  async perform(importId: string): Promise<void> {
    const record = this.imports.get(importId);
    if (record?.state.state !== "waiting_for_confirmation") {
      throw new RequestError("BadRequest", "No import with this id is waiting for confirmation.");
    }
    record.state = { state: "in_progress", progress_message: "Importing" };
    try {
      await this.target.write(record.table, record.documents, record.mode !== "append");
      record.state = { state: "completed", num_rows_written: BigInt(record.documents.length) };
    } catch (error) {
      record.state = { state: "failed", error_message: (error as Error).message };
    } finally {
      record.documents = [];
    }
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

  private remember(record: ImportRecord): void {
    this.imports.set(record.id, record);
    for (const [id, old] of this.imports) {
      if (this.imports.size <= KEPT_IMPORTS) break;
      if (old.state.state !== "in_progress") this.imports.delete(id);
    }
  }
}
