/**
 * Convex's HTTP API, as `ConvexHttpClient` uses it: `POST /api/query`, `/api/mutation`,
 * `/api/action`, `/api/function`, `/api/query_ts`, `/api/query_at_ts`.
 *
 * Function results answer HTTP 200 with `{status: "success", value, logLines}` or
 * `{status: "error", errorMessage, errorData?, logLines}`; a request that cannot run answers
 * `{code, message}` with a 4xx/5xx status.
 */
import type http from "node:http";
import type { Engine } from "../engine.ts";
import { RequestError, errorMessageOf } from "../errors.ts";
import type { FunctionOutcome } from "../runtime/executor.ts";
import type { FunctionKind, UserIdentity } from "../runtime/execution.ts";
import { decodeTs, encodeTs } from "./timestamps.ts";

/** Request bodies above this size are refused with 413 (function args are limited to 16 MiB). */
export const MAX_BODY_BYTES = 20 * 1024 * 1024;

/** Resolves the identity of an HTTP request (the `Authorization` header); null when anonymous. */
export type IdentityResolver = (authorization: string | undefined) => Promise<UserIdentity | null>;

const SUPPORTED_FORMATS = new Set([undefined, "convex_encoded_json", "convex_json"]);

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "access-control-allow-origin": "*",
  });
  res.end(text);
}

function sendRequestError(res: http.ServerResponse, error: RequestError): void {
  send(res, error.httpStatus, { code: error.code, message: error.message });
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new RequestError(
        "PayloadTooLarge",
        `Request body is larger than the ${MAX_BODY_BYTES} byte limit.`,
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJsonBody(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new RequestError(
      "BadJsonBody",
      `Failed to parse the request body as JSON: ${errorMessageOf(error)}`,
    );
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new RequestError("BadJsonBody", "The request body must be a JSON object.");
  }
  return body as Record<string, unknown>;
}

/** Convex accepts `args` as the legacy one-element array or as the object itself. */
function functionArgs(body: Record<string, unknown>, wrapped: boolean): unknown {
  const args = body["args"];
  if (args === undefined) return {};
  if (!wrapped) return args;
  if (Array.isArray(args)) {
    if (args.length !== 1) {
      throw new RequestError(
        "BadRequest",
        `Expected args to hold exactly one argument object, got ${args.length}.`,
      );
    }
    return args[0];
  }
  return args;
}

function outcomeBody(outcome: FunctionOutcome): Record<string, unknown> {
  const logLines = outcome.logLines.length > 0 ? { logLines: outcome.logLines } : {};
  if (outcome.status === "success") return { status: "success", value: outcome.value, ...logLines };
  return {
    status: "error",
    errorMessage: outcome.errorMessage,
    ...(outcome.errorData !== undefined ? { errorData: outcome.errorData } : {}),
    ...logLines,
  };
}

const KIND_BY_ROUTE: Record<string, FunctionKind> = {
  "/api/query": "query",
  "/api/query_at_ts": "query",
  "/api/mutation": "mutation",
  "/api/action": "action",
};

/** Handles one `/api/*` request. Returns false when the route is not part of the HTTP API. */
export async function handleApiRequest(
  engine: Engine,
  resolveIdentity: IdentityResolver,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const route = url.pathname;
  const isFunctionRoute = route in KIND_BY_ROUTE || route === "/api/function";
  if (!isFunctionRoute && route !== "/api/query_ts") return false;
  try {
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "content-type, authorization, convex-client",
        "access-control-max-age": "86400",
      });
      res.end();
      return true;
    }
    if (req.method !== "POST") {
      throw new RequestError(
        "MethodNotAllowed",
        `${route} accepts POST requests only (got ${req.method ?? "?"}).`,
      );
    }
    const text = await readBody(req);
    if (route === "/api/query_ts") {
      send(res, 200, { ts: encodeTs(engine.committer.publishedTs) });
      return true;
    }
    const body = parseJsonBody(text);
    const path = body["path"];
    if (typeof path !== "string" || path.length === 0) {
      throw new RequestError(
        "BadConvexFunctionIdentifier",
        `Expected "path" to be a function path string, got ${JSON.stringify(path)}.`,
      );
    }
    const format = body["format"];
    if (!SUPPORTED_FORMATS.has(format as string | undefined)) {
      throw new RequestError(
        "BadRequest",
        `Unsupported format ${JSON.stringify(format)}: this backend speaks "convex_encoded_json".`,
      );
    }
    const identity = await resolveIdentity(req.headers.authorization);
    let kind = KIND_BY_ROUTE[route];
    if (route === "/api/function") {
      // Any kind; an unknown or internal function fails inside the executor, as on the other routes.
      kind = engine.registry.lookup(path)?.kind ?? "query";
    }
    if (kind === undefined) return false;
    let snapshotTs: bigint | undefined;
    if (route === "/api/query_at_ts") {
      try {
        snapshotTs = decodeTs(body["ts"]);
      } catch (error) {
        throw new RequestError("BadRequest", errorMessageOf(error));
      }
      if (snapshotTs < engine.committer.oldestReadableTs) {
        throw new RequestError(
          "BadRequest",
          `Timestamp ${snapshotTs} is out of retention: it is older than the history this backend keeps.`,
        );
      }
      if (snapshotTs > engine.committer.publishedTs) {
        throw new RequestError(
          "BadRequest",
          `Timestamp ${snapshotTs} is in the future (latest is ${engine.committer.publishedTs}).`,
        );
      }
    }
    const outcome = await engine.executor.run({
      path,
      kind,
      args: functionArgs(body, route !== "/api/function"),
      identity,
      ...(snapshotTs !== undefined ? { snapshotTs } : {}),
    });
    send(res, 200, outcomeBody(outcome));
  } catch (error) {
    if (error instanceof RequestError) sendRequestError(res, error);
    else sendRequestError(res, new RequestError("InternalServerError", errorMessageOf(error)));
  }
  return true;
}
