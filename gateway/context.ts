/**
 * What a field resolver sees: who is asking, and how to call Convex for this operation (the
 * access its identity's upstream sessions handed out, or a live operation's snapshot).
 */
import type { DirectSink } from "./live/registry.ts";
import { requestIdOf } from "./request_log.ts";

/** The kinds of Convex function. */
export type FunctionKind = "query" | "mutation" | "action";

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
  /**
   * State a live operation keeps across its executions (the parts its pages were split into,
   * see schema/page_split.ts); absent for an operation that runs once.
   */
  readonly liveState?: Map<string, unknown>;
  /**
   * Whether the backend keeps the query (path, args), read in this execution, ending where it
   * first ended (Convex's query journal of a `paginate()` page); absent for an operation that
   * runs once.
   */
  readonly journaled?: (path: string, args: Record<string, unknown>) => boolean;
}

/** What the gateway knows of a request before it runs (Yoga's context). */
export interface RequestContext {
  /** The caller's bearer token (without the `Bearer ` prefix), or null when anonymous. */
  readonly token: string | null;
  /** The caller asked for a read at the latest timestamp (`Cache-Control: no-cache`), not a warm one. */
  readonly fresh: boolean;
  /** This request's id (see request_log.ts), sent upstream on HTTP calls as `X-Request-Id`. */
  readonly requestId: string;
  /** The transport's fast path for a live operation's results (see live/registry.ts), if any. */
  readonly liveDirectSink?: DirectSink;
}

export interface GatewayContext extends RequestContext {
  readonly convex: ConvexAccess;
}

/** `Bearer abc` or `abc` -> `abc`; empty -> null. */
export function tokenFrom(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const token = value.replace(/^Bearer\s+/i, "").trim();
  return token === "" ? null : token;
}

/** `Cache-Control: no-cache` asks for a read at the backend's latest timestamp. */
function wantsFreshRead(request: Request | undefined): boolean {
  return /\bno-cache\b/i.test(request?.headers.get("cache-control") ?? "");
}

/** Yoga's context factory: over HTTP from the request, over graphql-ws from the upgrade. */
export function requestContext(initial: Record<string, unknown>): RequestContext {
  const request = initial["request"] as Request | undefined;
  const connectionParams = initial["connectionParams"] as Record<string, unknown> | undefined;
  const liveDirectSink = initial["liveDirectSink"] as DirectSink | undefined;
  return {
    ...(liveDirectSink !== undefined ? { liveDirectSink } : {}),
    requestId: requestIdOf(request),
    token: tokenFrom(request?.headers.get("authorization") ?? connectionParams?.["authorization"]),
    // Over graphql-ws the request is the upgrade's, whose Cache-Control the browser chose.
    fresh: initial["viaWebSocket"] !== true && wantsFreshRead(request),
  };
}
