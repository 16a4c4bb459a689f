/**
 * Which access a one-off operation reads and writes through (upstream/sessions.ts `access`):
 * - a mutation, a retry that asked to read upstream, or no query cache: Convex itself (HTTP);
 * - a read at the latest timestamp (`fresh`): the identity's ready session when the state it
 *   reads proves that recent (warm_read.ts), else HTTP;
 * - any other query: the session's pushed results when the freshness rule lets it answer
 *   (freshness.ts `canRead`), else HTTP, whose reads may vouch for the session (`vouch`).
 * Mutations always go upstream, each built on first use: a warm read never makes an HTTP access.
 */
import type { ConvexAccess } from "../context.ts";
import type { FreshProof } from "./freshness.ts";
import type { ReadLog } from "./http_access.ts";
import type { ReusedResults } from "./reused_results.ts";
import type { UpstreamSession } from "./session.ts";
import { warmReadAccess, type OperationAccess } from "./warm_read.ts";

/** What an operation is, for `access`. */
export interface OperationRequest {
  readonly token: string | null;
  /** A query operation (not a mutation), which pushed results may answer. */
  readonly query: boolean;
  /** The caller asked for a read at the latest timestamp. */
  readonly fresh: boolean;
  /** Keep the queries read this long, to answer repeats (0: always read upstream). */
  readonly warmMs: number;
  /** Names the operation (a digest: computed only when a vouch or a kept result needs it). */
  readonly operation: () => string;
  readonly requestId?: string;
}

/** What the choice needs of the sessions. */
export interface AccessHost {
  /** The identity's session when it is ready (connected, token accepted). */
  ready(token: string | null): UpstreamSession | null;
  /** An HTTP access for this operation (logging its reads into `log`, if given). */
  httpAccess(log?: ReadLog): ConvexAccess;
  readonly timeoutMs: number;
  /** Reads the backend's latest commit timestamp (needed to answer `fresh` from a session). */
  readonly latestTimestamp?: () => Promise<bigint>;
  readonly reused: ReusedResults;
}

/** Reruns of an inconsistent warm read before it reads upstream instead. */
const MAX_WARM_ATTEMPTS = 3;

/** What each fresh operation's attempts proved (keyed on the operation's request). */
const freshProofs = new WeakMap<OperationRequest, FreshProof>();

function freshProof(request: OperationRequest): FreshProof {
  let proof = freshProofs.get(request);
  if (proof === undefined) freshProofs.set(request, (proof = { openedOn: null }));
  return proof;
}

/** The access for `request`'s attempt number `attempt` (see the file comment). */
export function operationAccess(
  host: AccessHost,
  request: OperationRequest,
  attempt: number,
  upstream: boolean,
): OperationAccess {
  let made: ConvexAccess | null = null;
  const writes: ConvexAccess = {
    run: (kind, path, args, hints) => (made ??= host.httpAccess()).run(kind, path, args, hints),
  };
  if (!request.query || upstream || request.warmMs === 0) return once(writes);
  const session = host.ready(request.token);
  if (session === null) return once(writes);
  const warmAllowed = attempt < MAX_WARM_ATTEMPTS;
  const warm = () => ({
    timeoutMs: host.timeoutMs,
    warmMs: request.warmMs,
    writes,
    reuse: host.reused.slot(session, request.operation, request.warmMs),
  });
  if (request.fresh) {
    const latestTimestamp = host.latestTimestamp;
    if (latestTimestamp === undefined || !warmAllowed) return once(writes);
    const fresh = { proof: freshProof(request), latestTimestamp };
    return warmReadAccess(session, { ...warm(), fresh });
  }
  if (warmAllowed && session.canRead(request.operation)) return warmReadAccess(session, warm());
  return vouchingAccess(host, request, session) ?? once(writes);
}

/** An HTTP read whose results vouch for `session` when they are what it holds. */
function vouchingAccess(
  host: AccessHost,
  request: OperationRequest,
  session: UpstreamSession,
): OperationAccess | null {
  const mark = session.readMark();
  if (mark === null) return null;
  const log: ReadLog = { reads: [], onlyQueries: true };
  const vouching = host.httpAccess(log);
  return {
    run: (kind, path, args, hints) => vouching.run(kind, path, args, hints),
    finish: (result) => {
      if (result.errors === undefined && log.onlyQueries)
        session.vouch(mark, request.operation(), log.reads);
      return "done";
    },
  };
}

/** An access whose operation needs nothing after it ran. */
function once(access: ConvexAccess): OperationAccess {
  return {
    run: (kind, path, args, hints) => access.run(kind, path, args, hints),
    finish: () => "done",
  };
}
