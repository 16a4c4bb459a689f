/**
 * Convex access for one GraphQL operation over plain HTTP: a fresh `ConvexHttpClient` (no
 * connection state) with the caller's token. Every query of the operation reads the same
 * snapshot (`consistentQuery`: one `/api/query_ts`, then `/api/query_at_ts`), unless the
 * operation has a single root field: then one `/api/query` is that snapshot. Mutations run in
 * order (the client queues them).
 */
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import type { ConvexAccess } from "../context.ts";
import { toGraphQLError } from "../errors.ts";
import { nodeFetch } from "./node_fetch.ts";

/** How long one Convex call may take before the gateway gives up. @default 30_000 // ms */
export const UPSTREAM_TIMEOUT_MS = 30_000;

export function httpConvexAccess(
  url: string,
  token: string | null,
  timeoutMs = UPSTREAM_TIMEOUT_MS,
): ConvexAccess {
  const client = new ConvexHttpClient(url, { logger: false, fetch: nodeFetch(timeoutMs) });
  if (token !== null) client.setAuth(token);
  return {
    async run(kind, path, args, hints) {
      try {
        switch (kind) {
          case "query":
            // One Convex query in the operation: a single call is already one snapshot.
            if (hints?.soleRootField === true) {
              return (await client.query(makeFunctionReference<"query">(path), args)) as unknown;
            }
            return (await client.consistentQuery(
              makeFunctionReference<"query">(path),
              args,
            )) as unknown;
          case "mutation":
            return (await client.mutation(
              makeFunctionReference<"mutation">(path),
              args,
            )) as unknown;
          case "action":
            return (await client.action(makeFunctionReference<"action">(path), args)) as unknown;
          default:
            kind satisfies never;
            throw new Error(`Unknown function kind ${String(kind)}`);
        }
      } catch (error) {
        throw toGraphQLError(error, path);
      }
    },
  };
}
