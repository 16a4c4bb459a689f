/**
 * Request ids and the request log. Every GraphQL request gets an id: the caller's
 * `X-Request-Id` when it is a plausible id (1-128 of `A-Za-z0-9._:-`), else a random UUID. The id
 * is logged with the request, answered in the `X-Request-Id` response header, put in the context
 * (`GatewayContext.requestId`) and sent upstream on the gateway's HTTP calls to Convex (see
 * upstream/http_access.ts). Over graphql-ws each operation gets an id of its own.
 *
 * Logged: method, path, status, duration, operation name and type. Never headers, tokens,
 * variables or results.
 */
import { randomUUID } from "node:crypto";
import { getOperationAST, type ExecutionArgs } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";

/** The header that carries a request id, both ways. */
export const REQUEST_ID_HEADER = "x-request-id";

const ids = new WeakMap<Request, string>();
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id of `request` (assigned on first use); a fresh one when there is no request. */
export function requestIdOf(request: Request | undefined): string {
  if (request === undefined) return randomUUID();
  let id = ids.get(request);
  if (id === undefined) {
    const given = request.headers.get(REQUEST_ID_HEADER);
    id = given !== null && VALID_ID.test(given) ? given : randomUUID();
    ids.set(request, id);
  }
  return id;
}

function describeOperation(args: ExecutionArgs): Record<string, unknown> {
  const operation = getOperationAST(args.document, args.operationName);
  const context = args.contextValue as { requestId?: string } | undefined;
  return {
    requestId: context?.requestId,
    operation: operation?.operation,
    operationName: operation?.name?.value ?? null,
  };
}

/** Logs each HTTP request (info) and each operation (debug), and answers the request id. */
export function requestLogPlugin(logger: Logger): Plugin {
  const started = new WeakMap<Request, number>();
  return {
    onRequest({ request }) {
      requestIdOf(request);
      started.set(request, performance.now());
    },
    onExecute({ args }) {
      if (logger.isLevelEnabled("debug")) logger.debug(describeOperation(args), "operation");
    },
    onSubscribe({ args }) {
      if (logger.isLevelEnabled("debug")) logger.debug(describeOperation(args), "subscription");
    },
    onResponse({ request, response }) {
      const requestId = requestIdOf(request);
      response.headers.set(REQUEST_ID_HEADER, requestId);
      if (!logger.isLevelEnabled("info")) return;
      const start = started.get(request);
      logger.info(
        {
          requestId,
          method: request.method,
          path: new URL(request.url).pathname,
          status: response.status,
          ms: start === undefined ? undefined : Math.round((performance.now() - start) * 10) / 10,
        },
        "request",
      );
    },
  };
}
