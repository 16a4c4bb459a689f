/**
 * What a field resolver sees: how to call Convex for this operation. Over plain HTTP that is a
 * per-operation `ConvexHttpClient` reading one consistent snapshot; inside a live operation
 * (a subscription or an `@live` query) it is the live operation's snapshot of its watched queries.
 */
import type { FunctionKind } from "../engine/index.ts";

/** What a resolver knows about the operation that helps the access layer. */
export interface AccessHints {
  /** The operation selects a single root field (so it makes at most one Convex call). */
  readonly soleRootField?: boolean;
}

export interface ConvexAccess {
  /** Runs a Convex function; resolves with its (decoded) result. Throws a GraphQLError on failure. */
  run(
    kind: FunctionKind,
    path: string,
    args: Record<string, unknown>,
    hints?: AccessHints,
  ): Promise<unknown>;
}

export interface GatewayContext {
  /** The caller's bearer token (without the `Bearer ` prefix), or null when anonymous. */
  readonly token: string | null;
  /** The caller asked for a read at the latest timestamp (`Cache-Control: no-cache`), not a warm one. */
  readonly fresh: boolean;
  readonly convex: ConvexAccess;
  /** This request's id (see request_log.ts), sent upstream on HTTP calls as `X-Request-Id`. */
  readonly requestId: string;
}
