/**
 * HTTP actions: requests to the site origin are routed by the app's own `HttpRouter` (the
 * default export of `convex/http.ts`, by exact `path` or longest `pathPrefix`, and method; HEAD
 * runs the GET route), or, under a component's `httpPrefix`, by that component's own router,
 * and run as actions: no transaction, the real clock, `fetch` and timers,
 * `ctx.runQuery`/`runMutation`/`runAction`, `ctx.storage` and `ctx.auth` (the identity of a valid
 * `Authorization: Bearer` token, else none). The handler's `Response` is the answer; CORS is the
 * app's business, as in Convex. The answers Convex gives otherwise:
 * - no `http.ts`: 404 `This Convex deployment does not have HTTP actions enabled.`;
 * - no route: 404 `No HttpAction routed for <path>`;
 * - a handler that throws, times out or returns no Response: 500 with
 *   `{"code": "[Request ID: <id>] Server Error: Uncaught <Name>: <message>", "trace": "Uncaught
 *   <Name>: <message>\n    at <frame>"}` (plus `data` for a ConvexError): Convex's `code` holds the
 *   JsError's message line, its `trace` the whole JsError (crates/application/src/redaction.rs).
 *   A failure of a function the handler awaited reads as Convex nests it:
 *   `Uncaught Error: Uncaught Error: boom\n    at handler (…)\n` (see nestedFailureText).
 * The function ends when the handler returns: a streamed body is read after that.
 */
import { httpActionErrorCode, withFrameText } from "../convex_messages.ts";
import { convexErrorData, isConvexError } from "../errors.ts";
import { end } from "./action_runner.ts";
import { withTimeout } from "./deadline.ts";
import { newRequestId, runInExecution, type Execution, type UserIdentity } from "./execution.ts";
import type { StackMapper } from "./stack_frames.ts";
import { uncaughtError } from "./uncaught.ts";
import { identityIn } from "./function_resolution.ts";

/** Convex's limit on an HTTP action's request body (and response): 20 MiB. */
export const MAX_HTTP_ACTION_BODY_BYTES = 20 * 1024 * 1024;

/** One route's handler: what `httpActionGeneric` returns. */
export interface HttpEndpoint {
  invokeHttpAction(request: Request): Promise<Response>;
}

/** The part of `convex/server`'s `HttpRouter` the engine uses. */
export interface HttpRouterLike {
  readonly isRouter: true;
  lookup(path: string, method: string): readonly [HttpEndpoint, string, string] | null;
}

/** The router an `http.ts` default export is, or null when it is not one. */
export function httpRouterOf(value: unknown): HttpRouterLike | null {
  if (typeof value !== "object" || value === null) return null;
  const candidate = value as Partial<HttpRouterLike>;
  return candidate.isRouter === true && typeof candidate.lookup === "function"
    ? (candidate as HttpRouterLike)
    : null;
}

/**
 * Where a request goes: the app's router with the request's path, or a mounted component's
 * (`httpPrefix`) with the path under its mount (`/oauth/github/callback` -> `/callback`), run in
 * that component.
 */
export interface HttpRoute {
  readonly router: HttpRouterLike | null;
  readonly path: string;
  /** The component whose router it is (absent: the app). */
  readonly componentPath?: string;
}

export interface HttpActionDeps {
  /** Routes a request's path with the loaded routers (they change when functions reload). */
  readonly route: (pathname: string) => HttpRoute;
  /** An HTTP action's time limit. // ms */
  readonly timeoutMs: number;
  /** Maps stack frames of the loaded code to the app's sources (null: errors carry no frame). */
  readonly stackMapper: () => StackMapper | null;
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** Convex's answer for a failed HTTP action. */
function failed(requestId: string, error: unknown, mapper: StackMapper | null): Response {
  const { message, frame } = uncaughtError(error, mapper);
  const body: Record<string, unknown> = {
    code: httpActionErrorCode(requestId, message),
    trace: withFrameText(message, frame),
  };
  if (isConvexError(error)) body["data"] = convexErrorData(error);
  return Response.json(body, { status: 500 });
}

/** The answer to a request no route of `router` takes (a path or a method no route names). */
export function noRouteResponse(router: HttpRouterLike | null, pathname: string): Response {
  if (router === null) {
    return text(404, "This Convex deployment does not have HTTP actions enabled.");
  }
  return text(404, `No HttpAction routed for ${pathname}`);
}

/**
 * Routes `request` (its URL on the site origin) and runs the matching HTTP action as `identity`.
 * Never throws: every failure is an answer.
 */
export async function runHttpAction(
  deps: HttpActionDeps,
  request: Request,
  identity: UserIdentity | null,
): Promise<Response> {
  const pathname = new URL(request.url).pathname;
  const { router, path, componentPath } = deps.route(pathname);
  const match = router?.lookup(path, request.method) ?? null;
  if (match === null) return noRouteResponse(router, pathname);
  const [endpoint, method, route] = match;
  const nowMs = Date.now();
  const execution: Execution = {
    kind: "action",
    path: `${method} ${route}`,
    ...(componentPath !== undefined ? { componentPath } : {}),
    requestId: newRequestId(),
    tx: null,
    nowMs,
    random: Math.random,
    // Components see no identity, as everywhere (the user's token is the app's business).
    identity: identityIn(componentPath ?? "", identity),
    logLines: [],
    streams: new Map(),
    paginated: false,
    journal: null,
    journalOut: null,
    deadlineMs: nowMs + deps.timeoutMs,
    timeLimitMs: deps.timeoutMs,
    timers: new Set(),
  };
  try {
    const response: unknown = await withTimeout(
      runInExecution(execution, () => endpoint.invokeHttpAction(request)),
      deps.timeoutMs,
    );
    if (!(response instanceof Response)) {
      return failed(
        execution.requestId,
        new TypeError(`The HTTP action ${execution.path} did not return a Response.`),
        null,
      );
    }
    return response;
  } catch (error) {
    return failed(execution.requestId, error, deps.stackMapper());
  } finally {
    end(execution);
  }
}
