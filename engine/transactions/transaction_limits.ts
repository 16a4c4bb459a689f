/**
 * Convex's per-transaction limits and the errors past them, in Convex's words. The transaction
 * keeps the counters; these checks throw the `FunctionFailure` a function sees.
 */
import { FunctionFailure } from "../errors.ts";

/** Convex's per-transaction limits (docs: production/state/limits). */
export const TRANSACTION_LIMITS = {
  documentsRead: 32_000,
  bytesRead: 16 * 1024 * 1024,
  intervalsRead: 4_096,
  documentsWritten: 16_000,
  bytesWritten: 16 * 1024 * 1024,
} as const;

const OVER_LIMIT_HELP =
  "Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.";

/** A transaction read more documents or bytes than it may (a page stops there instead). */
export class ReadLimitError extends FunctionFailure {}

/** @throws ReadLimitError past the documents or bytes a transaction may read. */
export function checkReadLimits(documentsRead: number, bytesRead: number): void {
  if (documentsRead > TRANSACTION_LIMITS.documentsRead) {
    throw new ReadLimitError(
      `Too many documents read in a single function execution (limit: ${TRANSACTION_LIMITS.documentsRead}). ${OVER_LIMIT_HELP}`,
    );
  }
  if (bytesRead > TRANSACTION_LIMITS.bytesRead) {
    throw new ReadLimitError(
      `Too many bytes read in a single function execution (limit: ${TRANSACTION_LIMITS.bytesRead} bytes). ${OVER_LIMIT_HELP}`,
    );
  }
}

/** @throws FunctionFailure past the index ranges (reads) a transaction may make. */
export function checkIntervalLimit(intervalCount: number): void {
  if (intervalCount > TRANSACTION_LIMITS.intervalsRead) {
    throw new FunctionFailure(
      `Too many reads in a single function execution (limit: ${TRANSACTION_LIMITS.intervalsRead}). ${OVER_LIMIT_HELP}`,
    );
  }
}

/** @throws FunctionFailure past the bytes a transaction may write. */
export function checkBytesWritten(bytesWritten: number): void {
  if (bytesWritten > TRANSACTION_LIMITS.bytesWritten) {
    throw new FunctionFailure(
      `Too many bytes written in a single function execution (limit: ${TRANSACTION_LIMITS.bytesWritten} bytes).`,
    );
  }
}

/** @throws FunctionFailure when a transaction holding `written` documents writes one more. */
export function checkDocumentsWritten(written: number): void {
  if (written >= TRANSACTION_LIMITS.documentsWritten) {
    throw new FunctionFailure(
      `Too many documents written in a single function execution (limit: ${TRANSACTION_LIMITS.documentsWritten}).`,
    );
  }
}
