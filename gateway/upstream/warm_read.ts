/**
 * A one-off GraphQL query answered from its identity's session: each Convex query it reads is
 * subscribed there (or already is) and kept warm for `warmMs` after the read, so a repeat is
 * answered with no round trip. No state machine: the operation runs, and it is consistent when
 * every value it read came from one state of the session (no Transition arrived between its first
 * and last read). Otherwise (a query it needed arrived in a later Transition) it runs again, now
 * with everything held: `finish` answers "again".
 */
import { GraphQLError, type ExecutionResult } from "graphql";
import type { Value } from "convex/values";
import type { ConvexAccess } from "../context.ts";
import { ERROR_CODES, toGraphQLError } from "../errors.ts";
import type { UpstreamSession } from "./session.ts";
import type { UpstreamSubscription, UpstreamUpdate } from "./shared_queries.ts";

/** The access one operation reads through, and what to do once it ran. */
export interface OperationAccess extends ConvexAccess {
  /** "again": the reads were not consistent; run the operation once more with a new access. */
  finish(result: ExecutionResult): "done" | "again";
}

export interface WarmReadOptions {
  /** How long to wait for a query's first result before reporting CONVEX_UNAVAILABLE. */
  readonly timeoutMs: number;
  readonly warmMs: number;
  /** Where calls other than queries go (an SDL schema may bind a Query field to a mutation). */
  readonly writes: ConvexAccess;
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
  let transitionsAtFirstRead: number | null = null;
  let unavailable = false;
  const read = async (path: string, args: Record<string, Value>): Promise<unknown> => {
    transitionsAtFirstRead ??= session.transitions;
    let arrive: (update: UpstreamUpdate) => void = () => {};
    const arrived = new Promise<UpstreamUpdate>((resolve) => (arrive = resolve));
    const subscription = session.subscribe(path, args, (update) => arrive(update), options.warmMs);
    held.push(subscription);
    const update = await firstResult(subscription, arrived, options.timeoutMs);
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
    run: (kind, path, args, hints) =>
      kind === "query"
        ? read(path, args as Record<string, Value>)
        : options.writes.run(kind, path, args, hints),
    finish: () => {
      for (const subscription of held) subscription.release();
      const consistent =
        transitionsAtFirstRead === null || session.transitions === transitionsAtFirstRead;
      return consistent || unavailable ? "done" : "again";
    },
  };
}
