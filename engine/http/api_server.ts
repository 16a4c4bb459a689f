/**
 * Convex's HTTP API: `POST /api/query`, `/api/mutation`, `/api/action`, `/api/function`,
 * `/api/query_ts`, `/api/query_at_ts`, as `ConvexHttpClient` uses them, and
 * `POST /api/run/{module path}/{function}` (`/api/run/messages/list` runs `messages:list`), as
 * Convex's HTTP API docs show it. Results come in the format the request names (value_format.ts:
 * `"json"`, Convex's plain JSON, or the encoded format the official clients send).
 *
 * Function results answer HTTP 200 with `{status: "success", value, logLines}` or
 * `{status: "error", errorMessage, errorData?, logLines}`; a request that cannot run answers
 * `{code, message}` with a 4xx/5xx status.
 */
import { qualifiedPath } from "../components/qualified_path.ts";
import { jsonTextNestsBeyond } from "../../lib/json_depth.ts";
import type http from "node:http";
import type { Engine } from "../engine.ts";
import { RequestError, errorMessageOf } from "../errors.ts";
import type { FunctionOutcome } from "../runtime/executor.ts";
import type { FunctionKind } from "../runtime/execution.ts";
import type { Caller } from "../auth/credentials.ts";
import { decodeTs, encodeTs } from "./timestamps.ts";
import { requestPath } from "./request_path.ts";
import { exportValue, parseValueFormat, type ValueFormat } from "./value_format.ts";

/** Request bodies above this size are refused with 413 (function args are limited to 16 MiB). */
export const MAX_BODY_BYTES = 20 * 1024 * 1024;

/**
 * Resolves the caller of an HTTP request from its `Authorization` header.
 * @throws RequestError when the credentials are refused.
 */
export type CallerResolver = (authorization: string | undefined) => Promise<Caller>;

export function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "access-control-allow-origin": "*",
  });
  res.end(text);
}

export function sendRequestError(res: http.ServerResponse, error: RequestError): void {
  send(res, error.httpStatus, { code: error.code, message: error.message });
}

/**
 * The request's body. Read from the stream's events (one promise per request: this runs for
 * every call); no named closure either, since tsx's `keepNames` renames each one it creates.
 * Past `limit` bytes the rest is discarded unread and the read rejects (413).
 */
export function readBodyBytes(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (size > limit) return; // refused already: the rest is dropped
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      reject(
        new RequestError("PayloadTooLarge", `Request body is larger than the ${limit} byte limit.`),
      );
    });
    req.once("end", () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)),
    );
    req.once("error", reject);
  });
}

/** The request's body as text (the admin routes'; the function routes read bytes directly). */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString("utf8");
}

/**
 * The deepest a request body may nest (serde_json's recursion limit, which Convex's HTTP API
 * parses bodies with). Arguments nested past Convex's value limit (64) but within this get
 * Convex's validation error from the executor.
 */
export const MAX_BODY_NESTING = 128;

export function parseJsonBody(text: string): Record<string, unknown> {
  if (jsonTextNestsBeyond(text, MAX_BODY_NESTING)) {
    throw new RequestError(
      "BadJsonBody",
      `Failed to parse the request body as JSON: recursion limit exceeded (it nests deeper than ${MAX_BODY_NESTING} levels).`,
    );
  }
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

function outcomeBody(outcome: FunctionOutcome, format: ValueFormat): Record<string, unknown> {
  const logLines = outcome.logLines.length > 0 ? { logLines: outcome.logLines } : {};
  if (outcome.status === "success") {
    return { status: "success", value: exportValue(outcome.value, format), ...logLines };
  }
  return {
    status: "error",
    errorMessage: outcome.errorMessage,
    ...(outcome.errorData !== undefined
      ? { errorData: exportValue(outcome.errorData, format) }
      : {}),
    ...logLines,
  };
}

const KIND_BY_ROUTE: Record<string, FunctionKind> = {
  "/api/query": "query",
  "/api/query_at_ts": "query",
  "/api/mutation": "mutation",
  "/api/action": "action",
};

const RUN_PREFIX = "/api/run/";

/** `/api/run/dir/file/fn` -> `dir/file:fn`. @throws RequestError when a part is missing. */
function runPath(route: string): string {
  const missing = () =>
    new RequestError(
      "MissingIdentifier",
      "Path or function name not provided in path, e.g. /api/run/messages/list",
    );
  let parts: string[];
  try {
    parts = route.slice(RUN_PREFIX.length).split("/").map(decodeURIComponent);
  } catch {
    throw missing();
  }
  const name = parts.pop();
  if (name === undefined || name === "" || parts.length === 0 || parts.includes("")) {
    throw missing();
  }
  return `${parts.join("/")}:${name}`;
}

/** The function a request names: its path, and its kind (null: whatever the function is). */
function requestedFunction(
  route: string,
  body: Record<string, unknown>,
): { path: string; kind: FunctionKind | null } {
  if (route.startsWith(RUN_PREFIX)) return { path: runPath(route), kind: null };
  const path = body["path"];
  if (typeof path !== "string" || path.length === 0) {
    throw new RequestError(
      "BadConvexFunctionIdentifier",
      `Expected "path" to be a function path string, got ${JSON.stringify(path)}.`,
    );
  }
  return { path, kind: route === "/api/function" ? null : (KIND_BY_ROUTE[route] ?? null) };
}

/** The snapshot `/api/query_at_ts` asks for. @throws RequestError when it cannot be read. */
function snapshotOf(engine: Engine, body: Record<string, unknown>): bigint {
  let ts: bigint;
  try {
    ts = decodeTs(body["ts"]);
  } catch (error) {
    throw new RequestError("BadRequest", errorMessageOf(error));
  }
  if (ts < engine.committer.oldestReadableTs) {
    throw new RequestError(
      "BadRequest",
      `Timestamp ${ts} is out of retention: it is older than the history this backend keeps.`,
    );
  }
  if (ts > engine.committer.publishedTs) {
    throw new RequestError(
      "BadRequest",
      `Timestamp ${ts} is in the future (latest is ${engine.committer.publishedTs}).`,
    );
  }
  return ts;
}

function isApiRoute(route: string): boolean {
  return (
    route in KIND_BY_ROUTE ||
    route === "/api/function" ||
    route === "/api/query_ts" ||
    route.startsWith(RUN_PREFIX)
  );
}

/** Runs the function a (parsed) request names and answers with its outcome. */
async function runFunction(
  engine: Engine,
  resolveIdentity: CallerResolver,
  req: http.IncomingMessage,
  route: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const named = requestedFunction(route, body);
  // A component's function: an admin's to call (as Convex's dashboard does), nobody else's.
  const requested = { ...named, path: qualifiedPath(body["componentPath"], named.path) };
  const format = parseValueFormat(
    body["format"],
    req.headers["convex-client"] as string | undefined,
  );
  const caller = await resolveIdentity(req.headers.authorization);
  // Any kind: an unknown or internal function fails inside the executor, as on the other routes.
  const kind = requested.kind ?? engine.registry.lookup(requested.path)?.kind ?? "query";
  const snapshotTs = route === "/api/query_at_ts" ? snapshotOf(engine, body) : undefined;
  const args = functionArgs(body, route !== "/api/function");
  const cache = kind === "query" && snapshotTs === undefined ? engine.queryCache : null;
  const outcome =
    cache !== null
      ? (
          await cache.resultAt(
            { path: requested.path, args, identity: caller.identity, allowInternal: caller.admin },
            engine.committer.publishedTs,
          )
        ).outcome
      : await engine.executor.run({
          path: requested.path,
          kind,
          args,
          identity: caller.identity,
          allowInternal: caller.admin,
          ...(snapshotTs !== undefined ? { snapshotTs } : {}),
        });
  // A system error is not the function's: 503 `{code, message}`, which clients retry.
  if (outcome.status === "error" && outcome.systemError !== undefined) {
    throw new RequestError(outcome.systemError.code, outcome.systemError.message);
  }
  return outcomeBody(outcome, format);
}

/** Handles one `/api/*` request. Returns false when the route is not part of the HTTP API. */
export async function handleApiRequest(
  engine: Engine,
  resolveIdentity: CallerResolver,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  const route = requestPath(req.url);
  if (!isApiRoute(route)) return false;
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
    const text = (await readBodyBytes(req)).toString("utf8"); // one promise per call
    if (route === "/api/query_ts") {
      send(res, 200, { ts: encodeTs(engine.committer.publishedTs) });
      return true;
    }
    send(res, 200, await runFunction(engine, resolveIdentity, req, route, parseJsonBody(text)));
  } catch (error) {
    if (error instanceof RequestError) sendRequestError(res, error);
    else sendRequestError(res, new RequestError("InternalServerError", errorMessageOf(error)));
  }
  return true;
}
