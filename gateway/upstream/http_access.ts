/**
 * Convex access for one GraphQL operation that is not answered from a session's pushed results:
 * - queries go over plain HTTP: a fresh `ConvexHttpClient` (no connection state) with the
 *   caller's token. Every query of the operation reads the same snapshot (`consistentQuery`: one
 *   `/api/query_ts`, then `/api/query_at_ts`), unless the operation has a single root field: then
 *   one `/api/query` is that snapshot;
 * - mutations go through the identity's session when it is ready, so the gateway learns their
 *   commit timestamps (read-your-writes, see write_watermark.ts), else over HTTP; actions over
 *   HTTP. They run in order (GraphQL executes mutation fields serially).
 * What the calls did is reported to `host` (sessions.ts), which owns every decision about them.
 *
 * The request id goes with every HTTP call as `X-Request-Id`. Calls through a session's WebSocket
 * cannot carry it: the sync protocol has no field for it and the socket is shared.
 */
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import type { Value } from "convex/values";
import type { ConvexAccess } from "../context.ts";
import { ERROR_CODES, toGraphQLError } from "../errors.ts";
import { nodeFetch } from "./node_fetch.ts";
import type { UpstreamRead } from "./session.ts";

/** What an HTTP access reports to, and borrows from, its identity's sessions. */
export interface HttpAccessHost {
  /** Runs a mutation through the identity's ready session, or answers null (then: over HTTP). */
  sessionMutation(path: string, args: Record<string, Value>): Promise<unknown> | null;
  /** A write whose commit timestamp the gateway did not see has completed. */
  wroteAtUnknownTimestamp(): void;
  /** A call succeeded upstream (the identity may open its session for later reads). */
  succeeded(): void;
  /** The backend refused the token. */
  refused(): void;
}

/** What an upstream read of one operation did (for vouching, see session.ts). */
export interface ReadLog {
  readonly reads: UpstreamRead[];
  /** False once it called a mutation or an action (an SDL schema may bind a Query to one). */
  onlyQueries: boolean;
}

export interface HttpAccessOptions {
  readonly url: string;
  readonly token: string | null;
  readonly timeoutMs: number;
  readonly requestId?: string;
  /** Records what the operation read. */
  readonly log?: ReadLog;
}

/** `fetch` that adds `X-Request-Id: id` to every request. */
function withRequestId(fetch: typeof globalThis.fetch, id: string): typeof globalThis.fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("x-request-id", id);
    return fetch(input, { ...init, headers });
  };
}

function httpClient(options: HttpAccessOptions): ConvexHttpClient {
  const fetch = nodeFetch(options.timeoutMs);
  const client = new ConvexHttpClient(options.url, {
    logger: false,
    fetch: options.requestId === undefined ? fetch : withRequestId(fetch, options.requestId),
  });
  if (options.token !== null) client.setAuth(options.token);
  return client;
}

export function httpConvexAccess(options: HttpAccessOptions, host: HttpAccessHost): ConvexAccess {
  let client: ConvexHttpClient | null = null;
  const http = (): ConvexHttpClient => (client ??= httpClient(options));
  const writeOverHttp = async (write: () => Promise<unknown>): Promise<unknown> => {
    try {
      return await write();
    } finally {
      host.wroteAtUnknownTimestamp();
    }
  };
  const call = async (
    kind: "query" | "mutation" | "action",
    path: string,
    args: Record<string, unknown>,
    sole: boolean,
  ): Promise<unknown> => {
    if (kind === "query") {
      const ref = makeFunctionReference<"query">(path);
      // One Convex query in the operation: a single call is already one snapshot.
      const value: unknown = sole
        ? await http().query(ref, args)
        : await http().consistentQuery(ref, args);
      options.log?.reads.push({ path, args: args as Record<string, Value>, value });
      return value;
    }
    if (options.log !== undefined) options.log.onlyQueries = false;
    if (kind === "action")
      return writeOverHttp(() => http().action(makeFunctionReference<"action">(path), args));
    const viaSession = host.sessionMutation(path, args as Record<string, Value>);
    return (
      viaSession ??
      writeOverHttp(() => http().mutation(makeFunctionReference<"mutation">(path), args))
    );
  };
  return {
    async run(kind, path, args, hints) {
      try {
        const result = await call(kind, path, args, hints?.soleRootField === true);
        host.succeeded();
        return result;
      } catch (error) {
        const graphQLError = toGraphQLError(error, path);
        const code = (graphQLError as { extensions?: { code?: unknown } }).extensions?.code;
        // Refused upstream (e.g. expired): its session and graphql-ws sockets end too.
        if (code === ERROR_CODES.unauthenticated && options.token !== null) host.refused();
        throw graphQLError;
      }
    },
  };
}
