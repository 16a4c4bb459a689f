/**
 * Convex access for one GraphQL operation that is not answered from warm subscriptions (see
 * gateway/live/read_once.ts):
 * - queries go over plain HTTP: a fresh `ConvexHttpClient` (no connection state) with the
 *   caller's token. Every query of the operation reads the same snapshot (`consistentQuery`: one
 *   `/api/query_ts`, then `/api/query_at_ts`), unless the operation has a single root field: then
 *   one `/api/query` is that snapshot;
 * - mutations go through the identity's pooled `ConvexClient` when it is connected, so the
 *   gateway learns their commit timestamps (read-your-writes for later reads, see UpstreamPool),
 *   else over HTTP; actions over HTTP. They run in order (GraphQL executes mutation fields
 *   serially).
 * A successful upstream call opens the identity's pooled client for later operations.
 *
 * The request id (`requestId`) goes with every HTTP call as `X-Request-Id` (the official client
 * accepts a `fetch`, which adds it). Calls through the pooled WebSocket client (mutations, warm
 * and live reads) cannot carry it: the sync protocol has no field for it and the connection is
 * shared by many requests.
 */
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import type { Value } from "convex/values";
import type { ConvexAccess } from "../context.ts";
import { ERROR_CODES, toGraphQLError } from "../errors.ts";
import { nodeFetch } from "./node_fetch.ts";
import type { UpstreamPool, UpstreamReadLog } from "./pool.ts";

/** How long one Convex call may take before the gateway gives up. @default 30_000 // ms */
export const UPSTREAM_TIMEOUT_MS = 30_000;

/** `fetch` that adds `X-Request-Id: id` to every request. */
function withRequestId(fetch: typeof globalThis.fetch, id: string): typeof globalThis.fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("x-request-id", id);
    return fetch(input, { ...init, headers });
  };
}

export function httpConvexAccess(
  url: string,
  token: string | null,
  pool: UpstreamPool,
  timeoutMs = UPSTREAM_TIMEOUT_MS,
  /** Records what the operation read (for `UpstreamPool.vouch`). */
  log?: UpstreamReadLog,
  /** Sent as `X-Request-Id` on each HTTP call. */
  requestId?: string,
): ConvexAccess {
  let httpClient: ConvexHttpClient | null = null;
  const http = (): ConvexHttpClient => {
    if (httpClient === null) {
      const fetch = nodeFetch(timeoutMs);
      httpClient = new ConvexHttpClient(url, {
        logger: false,
        fetch: requestId === undefined ? fetch : withRequestId(fetch, requestId),
      });
      if (token !== null) httpClient.setAuth(token);
    }
    return httpClient;
  };
  return {
    async run(kind, path, args, hints) {
      if (kind !== "query" && log !== undefined) log.onlyQueries = false;
      try {
        let result: unknown;
        switch (kind) {
          case "query":
            // One Convex query in the operation: a single call is already one snapshot.
            result =
              hints?.soleRootField === true
                ? await http().query(makeFunctionReference<"query">(path), args)
                : await http().consistentQuery(makeFunctionReference<"query">(path), args);
            log?.reads.push({ path, args: args as Record<string, Value>, value: result });
            break;
          case "mutation":
            if (pool.canWrite(token)) {
              result = await pool.mutation(token, path, args as Record<string, Value>, timeoutMs);
            } else {
              try {
                result = await http().mutation(makeFunctionReference<"mutation">(path), args);
              } finally {
                pool.afterWriteOfUnknownTimestamp();
              }
            }
            break;
          case "action":
            try {
              result = await http().action(makeFunctionReference<"action">(path), args);
            } finally {
              pool.afterWriteOfUnknownTimestamp();
            }
            break;
          default:
            kind satisfies never;
            throw new Error(`Unknown function kind ${String(kind)}`);
        }
        pool.prepare(token);
        return result;
      } catch (error) {
        const graphQLError = toGraphQLError(error, path);
        const code = (graphQLError as { extensions?: { code?: unknown } }).extensions?.code;
        // Refused upstream (e.g. expired): its pooled client and graphql-ws sockets end too.
        if (code === ERROR_CODES.unauthenticated && token !== null) pool.tokenRefused(token);
        throw graphQLError;
      }
    },
  };
}
