/**
 * The states of `npx convex import`'s imports, in Convex's field names (what the CLI reads from
 * `_system/cli/queryImport`), and the pure steps between them. The life of an import is drawn in
 * snapshot_imports.ts.
 */
import type { DocumentValue } from "../storage/types.ts";
import type { ImportFormat } from "./import_formats.ts";

/** The longest error message a failed import keeps. */
const MAX_ERROR_MESSAGE_CHARS = 4096;

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

export interface ImportRecord {
  readonly id: string;
  readonly table: string;
  readonly mode: ImportMode;
  documents: readonly DocumentValue[];
  state: ImportState;
  /** The file's size, charged to the byte budget while the import waits for confirmation. */
  heldBytes: number;
  /** It failed because it waited for confirmation too long. */
  expired: boolean;
}

export interface FinishUploadRequest {
  readonly tableName: string;
  readonly mode: ImportMode;
  readonly format: ImportFormat;
}

export function failedState(error: unknown): ImportState {
  const message = (error as Error).message;
  const error_message =
    message.length > MAX_ERROR_MESSAGE_CHARS
      ? `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}…`
      : message;
  return { state: "failed", error_message };
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

/** Where a parsed import goes: waiting for confirmation, or failed. */
export function confirmationOf(record: ImportRecord, existing: number): ImportState {
  if (record.mode === "replaceAll") {
    const error_message =
      "--replace-all (clearing every other table) is not supported by the embedded backend: use --replace.";
    return { state: "failed", error_message };
  }
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
