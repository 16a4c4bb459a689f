/**
 * A one-off GraphQL query answered from its identity's session: each Convex query it reads is
 * subscribed there (or already is) and kept warm for `warmMs` after the read, so a repeat is
 * answered with no round trip. No state machine: the operation runs, and it is consistent when
 * every value it read came from one state of the session: each is still its query's current
 * result when the run ends (so a page that arrived in a Transition and its relations already held
 * are one state; Transitions that changed nothing it read do not matter). Otherwise (a query it needed arrived in a later Transition) it runs again, now
 * with everything held: `finish` answers "again".
 *
 * A read at the backend's latest timestamp (`fresh`) is answered this way too when the state it
 * read is provably that recent (freshness.ts `freshEnough`): when it opened a subscription, the
 * Transition that answered it says so with no extra round trip; when everything was held, one
 * `/api/query_ts` after the run does. Otherwise `finish` answers "upstream": read over HTTP.
 *
 * A consistent run that only read is kept (`reuse`, reused_results.ts): an identical repeat whose
 * reads the session still holds unchanged takes that result (`reused`) instead of executing.
 */
import { GraphQLError, type ExecutionResult } from "graphql";
import type { Value } from "convex/values";
import type { ConvexAccess } from "../context.ts";
import { ERROR_CODES, toGraphQLError } from "../errors.ts";
import { freshEnough, type FreshProof } from "./freshness.ts";
import type { UpstreamSession } from "./session.ts";
import type { RecordedRead, ReuseSlot } from "./reused_results.ts";
import type { UpstreamSubscription, UpstreamUpdate } from "./shared_queries.ts";

/**
 * What to do once an operation ran: "again": its reads were not consistent, run it once more
 * with a new access; "upstream": they were not provably fresh, run it again reading upstream.
 */
export type Finish = "done" | "again" | "upstream";

/** The access one operation reads through, and what to do once it ran. */
export interface OperationAccess extends ConvexAccess {
  /** A result of this very operation that the state read still gives: no need to execute. */
  reused?(): ExecutionResult | null;
  finish(result: ExecutionResult): Finish | Promise<Finish>;
}

/** For a read at the backend's latest timestamp. */
export interface FreshReadOptions {
  /** What the operation's attempts proved so far (one object per operation). */
  readonly proof: FreshProof;
  /** Reads the backend's latest commit timestamp. */
  readonly latestTimestamp: () => Promise<bigint>;
}

export interface WarmReadOptions {
  /** How long to wait for a query's first result before reporting CONVEX_UNAVAILABLE. */
  readonly timeoutMs: number;
  readonly warmMs: number;
  /** Where calls other than queries go (an SDL schema may bind a Query field to a mutation). */
  readonly writes: ConvexAccess;
  /** Set for a read at the backend's latest timestamp. */
  readonly fresh?: FreshReadOptions;
  /** Where this operation's results are kept for identical repeats (reused_results.ts). */
  readonly reuse?: ReuseSlot;
}

/** The first result of `subscription`, waiting at most `timeoutMs` (null: none in time). */
function firstResult(
  held: UpstreamSubscription,
  arrived: Promise<UpstreamUpdate>,
  timeoutMs: number,
): Promise<UpstreamUpdate | null> {
  if (held.latest !== null) return Promise.resolve(held.latest);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
    timer.unref();
  });
  return Promise.race([arrived, timeout]).finally(() => clearTimeout(timer));
}

export function warmReadAccess(
  session: UpstreamSession,
  options: WarmReadOptions,
): OperationAccess {
  const held: UpstreamSubscription[] = [];
  /** Each value read, with its subscription: still current at the end = one state. */
  const reads: (RecordedRead & { readonly from: UpstreamSubscription })[] = [];
  let unavailable = false;
  let wrote = false;
  let reused: ExecutionResult | null = null;
  const read = async (path: string, args: Record<string, Value>): Promise<unknown> => {
    let arrive: (update: UpstreamUpdate) => void = () => {};
    const arrived = new Promise<UpstreamUpdate>((resolve) => (arrive = resolve));
    const subscription = session.subscribe(path, args, (update) => arrive(update), options.warmMs);
    held.push(subscription);
    const update = await firstResult(subscription, arrived, options.timeoutMs);
    if (update !== null) reads.push({ from: subscription, path, args, update });
    if (subscription.opened && update !== null && options.fresh !== undefined) {
      options.fresh.proof.openedOn = session.connection.connectionCount;
    }
    if (update === null) {
      unavailable = true;
      throw new GraphQLError(
        `The Convex backend sent no result for ${path} within ${options.timeoutMs} ms: it may be unreachable.`,
        { extensions: { code: ERROR_CODES.unavailable } },
      );
    }
    if ("error" in update) throw toGraphQLError(update.error, path);
    return update.value;
  };
  return {
    run: (kind, path, args, hints) => {
      if (kind === "query") return read(path, args as Record<string, Value>);
      wrote = true;
      return options.writes.run(kind, path, args, hints);
    },
    reused: () => (reused = options.reuse?.lookup() ?? null),
    finish: (result) => {
      const consistent = reads.every((read) => read.from.current() === read.update);
      for (const subscription of held) subscription.release();
      if (unavailable) return "done";
      if (!consistent) return "again";
      if (!wrote && reused === null) {
        options.reuse?.store(
          result,
          reads.map(({ path, args, update }) => ({ path, args, update })),
        );
      }
      return options.fresh === undefined ? "done" : provenFresh(session, options.fresh);
    },
  };
}

/** "done" when the session's current state may answer a read at the latest timestamp. */
function provenFresh(session: UpstreamSession, fresh: FreshReadOptions): Finish | Promise<Finish> {
  const view = session.connection.view(true);
  if (freshEnough(view, fresh.proof, null)) return "done";
  return fresh.latestTimestamp().then(
    (ts): Finish => (freshEnough(view, fresh.proof, ts) ? "done" : "upstream"),
    (): Finish => "upstream",
  );
}
