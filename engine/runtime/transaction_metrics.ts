/**
 * `ctx.meta.getTransactionMetrics()` (the `1.0/getTransactionMetrics` syscall): what the running
 * query or mutation used of Convex's per-transaction limits, and what remains. Documents and
 * bytes read and written, and index ranges read (as `databaseQueries`), are counted by the
 * transaction, and so are files stored and read (`ctx.storage.store` / `get` in mutations);
 * scheduling metrics are reported as unused (the engine does not count them per transaction).
 */
import { TRANSACTION_LIMITS, type Transaction } from "../transactions/transaction.ts";
import { TRANSACTION_FILE_LIMITS } from "../files/file_storage.ts";
import {
  MAX_SCHEDULED_ARGS_BYTES,
  MAX_SCHEDULED_PER_TRANSACTION,
} from "../scheduler/scheduling.ts";

interface Metric {
  used: number;
  remaining: number;
}

function metric(used: number, limit: number): Metric {
  return { used, remaining: Math.max(0, limit - used) };
}

/** The metrics of `tx` in the shape `convex/server`'s `TransactionMetrics` has. */
export function transactionMetrics(tx: Transaction): Record<string, Metric> {
  const usage = tx.usage();
  return {
    bytesRead: metric(usage.bytesRead, TRANSACTION_LIMITS.bytesRead),
    bytesWritten: metric(usage.bytesWritten, TRANSACTION_LIMITS.bytesWritten),
    databaseQueries: metric(tx.readSet.intervalCount(), TRANSACTION_LIMITS.intervalsRead),
    documentsRead: metric(usage.documentsRead, TRANSACTION_LIMITS.documentsRead),
    documentsWritten: metric(usage.documentsWritten, TRANSACTION_LIMITS.documentsWritten),
    functionsScheduled: metric(0, MAX_SCHEDULED_PER_TRANSACTION),
    scheduledFunctionArgsBytes: metric(0, MAX_SCHEDULED_ARGS_BYTES),
    filesWritten: metric(tx.files.written, TRANSACTION_FILE_LIMITS.files),
    fileWriteBytes: metric(tx.files.writeBytes, TRANSACTION_FILE_LIMITS.bytes),
    filesRead: metric(tx.files.read, TRANSACTION_FILE_LIMITS.files),
    fileReadBytes: metric(tx.files.readBytes, TRANSACTION_FILE_LIMITS.bytes),
  };
}
