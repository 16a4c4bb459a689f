/**
 * Start-up recovery: every stored document loaded into memory at the recovered timestamp (and
 * the exactly-once records of the sync protocol rebuilt from theirs), with progress reported for
 * large data files. Runs once, before anything executes.
 */
import { jsonToConvex } from "convex/values";
import { storedDocument, type DocumentStore } from "./storage/document_store.ts";
import type { Persistence } from "./storage/persistence.ts";
import type { DocumentValue, Timestamp } from "./storage/types.ts";
import { SESSION_REQUESTS_TABLE, type SessionRequests } from "./sync/session_requests.ts";

/** Data files with at least this many documents report their loading progress. */
export const RECOVERY_PROGRESS_FROM = 10_000;

/**
 * Loads every stored document into memory. A data file of `RECOVERY_PROGRESS_FROM` documents or
 * more reports its progress at every tenth, then the total and the time it took.
 */
export function recoverDocuments(
  persistence: Persistence,
  store: DocumentStore,
  sessionRequests: SessionRequests,
  recoveredTs: Timestamp,
  log: (line: string) => void,
): void {
  const total = persistence.documentCount();
  const report = total >= RECOVERY_PROGRESS_FROM;
  const started = Date.now();
  let loaded = 0;
  let nextTenth = 1;
  if (report) log(`Loading ${total} documents from ${persistence.file}...`);
  for (const row of persistence.documents()) {
    const value = jsonToConvex(JSON.parse(row.json) as never) as DocumentValue;
    store.load(storedDocument(row.id, row.table, value, row.json), recoveredTs);
    if (row.table === SESSION_REQUESTS_TABLE) sessionRequests.record(value, BigInt(row.ts));
    loaded++;
    if (report && loaded * 10 >= nextTenth * total && nextTenth < 10) {
      log(`  ${nextTenth * 10}% (${loaded} of ${total} documents)`);
      nextTenth = Math.floor((loaded * 10) / total) + 1;
    }
  }
  if (report) log(`✔ Loaded ${loaded} documents in ${Date.now() - started} ms`);
}
