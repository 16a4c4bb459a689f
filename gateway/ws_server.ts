/**
 * graphql-ws on the gateway's HTTP server (same path, `/graphql`): operations go through Yoga's
 * envelope (ws_operations.ts), each isolated from the others on its socket (ws_isolation.ts). A
 * token is checked with Convex when the socket connects; a token Convex refuses later (it
 * expired, say) closes its sockets with 4403, so clients reconnect with a fresh one.
 */
import type http from "node:http";
import type { execute as graphqlExecute } from "graphql";
import { type ExecutionArgs } from "graphql";
import { WebSocketServer, type WebSocket } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { SubscribePayload } from "graphql-ws";
import { tokenFrom } from "./context.ts";
import { CLOSE_CODES } from "./close_codes.ts";
import { guardFrameNesting } from "./ws_frame_guard.ts";
import { isolatedPrepare, isolatedRun } from "./ws_isolation.ts";
import type { UpstreamSessions } from "./upstream/sessions.ts";
import { wsOperationPreparer, type WsContext, type WsOperationOptions } from "./ws_operations.ts";

export interface WsServerOptions extends WsOperationOptions {
  readonly upstream: UpstreamSessions;
  /** How long the token check may take before the socket closes with 1013. */
  readonly timeoutMs: number;
  readonly maxPayloadBytes: number;
  readonly maxNesting: number;
  /** Errors are not masked. */
  readonly dev: boolean;
}

/** Open sockets by the token they connected with; each token's close when Convex refuses it. */
function socketsByToken(upstream: UpstreamSessions) {
  const sockets = new Map<string, Set<WebSocket>>();
  upstream.onTokenRefused((token) => {
    for (const socket of sockets.get(token) ?? []) socket.close(CLOSE_CODES.forbidden, "Forbidden");
  });
  return (token: string, socket: WebSocket): void => {
    let set = sockets.get(token);
    if (set === undefined) sockets.set(token, (set = new Set()));
    const own = set;
    own.add(socket);
    socket.once("close", () => {
      own.delete(socket);
      if (own.size === 0 && sockets.get(token) === own) sockets.delete(token);
    });
  };
}

/** graphql-ws's `onConnect`: the token Convex must accept (none: anonymous). */
function connectionCheck(options: WsServerOptions) {
  const track = socketsByToken(options.upstream);
  return async (ctx: WsContext): Promise<boolean> => {
    // The same precedence as the context factory: the upgrade's header, then connectionParams.
    const token = tokenFrom(
      ctx.extra.request.headers.authorization ?? ctx.connectionParams?.["authorization"],
    );
    if (token === null) return true;
    const verdict = await options.upstream.verify(token, options.timeoutMs);
    const socket = ctx.extra.socket;
    if (verdict === "unavailable") {
      // The backend, not the token, is the problem: graphql-ws retries after 1013.
      socket.close(
        CLOSE_CODES.tryAgainLater,
        "The Convex backend did not answer; try again later.",
      );
      return false;
    }
    // Refused: graphql-ws closes with 4403 Forbidden; the client reconnects with a fresh token.
    if (verdict === "accepted" && socket.readyState === socket.OPEN) track(token, socket);
    return verdict === "accepted";
  };
}

/** Serves graphql-ws on `server`; returns its WebSocketServer. */
export function serveGraphqlWs(server: http.Server, options: WsServerOptions): WebSocketServer {
  const wss = new WebSocketServer({
    server,
    path: "/graphql",
    maxPayload: options.maxPayloadBytes,
  });
  guardFrameNesting(wss, options.maxNesting);
  const prepare = wsOperationPreparer(options);
  const { dev } = options;
  type Root = { execute: typeof graphqlExecute; subscribe: (a: ExecutionArgs) => unknown };
  useServer<WsContext["connectionParams"], { request: http.IncomingMessage }>(
    {
      // Anything thrown while starting one operation fails that operation, never the socket.
      // (graphql-ws types these results narrowly; Yoga's envelope returns what it expects.)
      execute: isolatedRun(
        (args: ExecutionArgs) => (args.rootValue as Root).execute(args),
        dev,
      ) as never,
      subscribe: isolatedRun(
        (args: ExecutionArgs) => (args.rootValue as Root).subscribe(args),
        dev,
      ) as never,
      onConnect: connectionCheck(options),
      onSubscribe: (ctx: WsContext, id: string, payload: SubscribePayload) =>
        isolatedPrepare(() => prepare(ctx, id, payload), dev),
    },
    wss,
  );
  return wss;
}
