/**
 * A one-off GraphQL query answered from the identity's upstream client: the Convex queries it
 * reads are subscribed there (or already are), the operation runs on one consistent snapshot of
 * their results (see LiveOperation), and the first complete result is the answer. The
 * subscriptions then stay warm for `warmMs` (see UpstreamPool), so a repeat is answered without a
 * round trip to Convex.
 *
 * There is no overall deadline: each query's first result is awaited at most `timeoutMs`. Root
 * fields read a fixed set of queries; relation fields (schema/relations.ts) read queries that
 * depend on those results, each awaited in turn during the same execution, then one rerun reads
 * them all from one snapshot (another only if the data changed in between).
 */
import type { ExecutionResult } from "graphql";
import type { UpstreamPool } from "../upstream/pool.ts";
import { LiveOperation, type LiveExecutor } from "./live_operation.ts";

export interface ReadOnceOptions {
  /** Give up waiting for a query's first result after this long (CONVEX_UNAVAILABLE). */
  readonly timeoutMs: number;
  /** Keep the subscriptions this long after the read. */
  readonly warmMs: number;
}

export function readOnce(
  pool: UpstreamPool,
  token: string | null,
  execute: LiveExecutor,
  options: ReadOnceOptions,
): Promise<ExecutionResult> {
  const operation = new LiveOperation(pool, token, execute, options.timeoutMs, options.warmMs);
  return new Promise((resolve) => {
    operation.addSink((result) => {
      operation.dispose();
      resolve(result);
    });
  });
}
