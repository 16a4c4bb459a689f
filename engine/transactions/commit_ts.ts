/**
 * `db.vars.commitTs` (convex 1.48): a placeholder a mutation writes into a document, which
 * becomes the transaction's commit timestamp (an int64, ordered by commit order) when it
 * commits. Within the mutation the placeholder reads back as itself (it is validated and
 * indexed as the largest int64); the committer resolves it once the commit has its timestamp,
 * before the writes are indexed, published and persisted. The aggregate component's
 * asynchronous writes and the batch worker's cursors are built on it.
 */
import { CommitTsPlaceholder, type Value } from "convex/values";
import { storedDocument } from "../storage/document_store.ts";
import type { DocumentValue, DocumentWrite, Timestamp } from "../storage/types.ts";

/**
 * How the placeholder appears in a document's JSON text: only as this key (user field names
 * cannot start with `$`, and a string holding the text has its quotes escaped).
 */
const PLACEHOLDER_JSON = '"$commitTs":null';

/** `writes` with every placeholder in their documents replaced by `ts` (the same array if none). */
export function resolveCommitTs(
  writes: readonly DocumentWrite[],
  ts: Timestamp,
): readonly DocumentWrite[] {
  if (!writes.some(holdsPlaceholder)) return writes;
  return writes.map((write) => {
    if (write.after === null || !holdsPlaceholder(write)) return write;
    const value = resolved(write.after.value, ts) as DocumentValue;
    return { ...write, after: storedDocument(write.id, write.table, value) };
  });
}

function holdsPlaceholder(write: DocumentWrite): boolean {
  return write.after !== null && write.after.json.includes(PLACEHOLDER_JSON);
}

function resolved(value: Value, ts: Timestamp): Value {
  if (value instanceof CommitTsPlaceholder) return ts;
  if (Array.isArray(value)) return value.map((item) => resolved(item, ts));
  if (value === null || typeof value !== "object" || value instanceof ArrayBuffer) return value;
  const out: Record<string, Value> = {};
  for (const [key, field] of Object.entries(value)) out[key] = resolved(field as Value, ts);
  return out;
}
