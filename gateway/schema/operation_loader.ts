/**
 * The reads relations make, batched per operation: every relation field of one operation asks
 * this loader, which calls `context.convex.run` once per distinct (query, args). Identical reads
 * share one call; distinct ones run in parallel (graphql-js resolves list items concurrently),
 * all through the operation's one `ConvexAccess`, so they read its one snapshot (HTTP) or become
 * its dependencies (a live operation: a change to any target re-runs it).
 *
 * Keyed on the context object: the gateway makes one per execution (each rerun of a live
 * operation gets a fresh one), so nothing is ever served from another execution's reads.
 */
import type { GatewayContext } from "../context.ts";

const loaders = new WeakMap<GatewayContext, Map<string, Promise<unknown>>>();

/** Runs the Convex query `path(args)` once per operation. */
export function loadQuery(
  context: GatewayContext,
  path: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  let reads = loaders.get(context);
  if (reads === undefined) {
    reads = new Map<string, Promise<unknown>>();
    loaders.set(context, reads);
  }
  const key = JSON.stringify([path, args]);
  let read = reads.get(key);
  if (read === undefined) {
    read = context.convex.run("query", path, args);
    reads.set(key, read);
  }
  return read;
}
