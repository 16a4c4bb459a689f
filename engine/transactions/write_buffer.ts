/**
 * A mutation's write buffer: the documents it inserted, replaced or deleted, by id, each with its
 * committed version (`before`) and its latest one (`after`), read back by the transaction's own
 * reads and scans, rolled back to a checkpoint by a failed nested call, and turned into the write
 * set the committer takes. Plain functions over the transaction's own Map (no object of its own).
 */
import type { DocumentWrite, StoredDocument } from "../storage/types.ts";

export interface BufferedWrite {
  readonly table: string;
  readonly before: StoredDocument | null;
  after: StoredDocument | null;
}

/** Buffered writes by document id, in the order first written. */
export type WriteBuffer = Map<string, BufferedWrite>;

/** The buffered writes of `table` (for scans that must see the transaction's own writes). */
export function writesOfTable(
  writes: WriteBuffer,
  table: string,
): Iterable<[string, BufferedWrite]> {
  if (writes.size === 0) return []; // queries, and mutations before their first write
  const result: [string, BufferedWrite][] = [];
  for (const entry of writes) if (entry[1].table === table) result.push(entry);
  return result;
}

/** A copy of the buffer to roll back to. */
export function checkpointOf(writes: WriteBuffer): WriteBuffer {
  return new Map([...writes].map(([id, write]) => [id, { ...write }]));
}

/** Rolls `writes` back to `checkpoint`. */
export function restoreTo(writes: WriteBuffer, checkpoint: WriteBuffer): void {
  writes.clear();
  for (const [id, write] of checkpoint) writes.set(id, write);
}

/** The write set, as the committer takes it (an insert deleted again writes nothing). */
export function documentWritesOf(writes: WriteBuffer): DocumentWrite[] {
  const result: DocumentWrite[] = [];
  for (const [id, write] of writes) {
    if (write.before === null && write.after === null) continue; // inserted then deleted
    result.push({ id, table: write.table, before: write.before, after: write.after });
  }
  return result;
}
