/**
 * The one normaliser of errors from Convex into GraphQL errors. An error is classified by the
 * code it carries (`upstreamCode`), never by reading its prose, and each code maps to an
 * `extensions.code` in one table (`CODE_TABLE`):
 *
 * | the error carries                                         | extensions.code         |
 * | --------------------------------------------------------- | ----------------------- |
 * | a `ConvexError(data)` the function threw                  | `data.code` if a string, else `CONVEX_ERROR`; `extensions.data` = data |
 * | `ArgumentValidationError`, `InvalidCursor`                | `BAD_USER_INPUT`        |
 * | `Unauthenticated`, `NoAuthProvider`, `InvalidAuthHeader`  | `UNAUTHENTICATED`       |
 * | `FunctionNotFound`, `BadConvexFunctionIdentifier` (the schema names a function that is gone) | `NOT_FOUND` |
 * | `FunctionTimeout` (the function ran past Convex's limit)  | `CONVEX_FUNCTION_TIMEOUT` |
 * | `Busy` (Convex is overloaded), `UpstreamUnavailable`, a socket error (`ECONNREFUSED`...) | `CONVEX_UNAVAILABLE` |
 * | `OptimisticConcurrencyControlFailure` (conflicted on every retry) | `CONVEX_CONFLICT` |
 * | anything else (the function failed)                       | none: Yoga masks it outside dev |
 *
 * Where the codes come from: the gateway's own transport failures (`UpstreamUnavailable`) and
 * Node's socket errors carry a `code` property; Convex answers a refused request with a
 * `{code, message}` body (which the official HTTP client puts in its error's message); a Convex
 * system error's detail starts with its short code (`ArgumentValidationError: ...`). Convex words
 * two failures with no code at all, a missing function and a timed-out one: for those the fixed
 * words Convex starts the detail with stand for the code (`CODELESS_SIGNATURES`).
 */
import { GraphQLError } from "graphql";
import { ConvexError, convexToJson, type Value } from "convex/values";
import { NETWORK_ERROR_CODES, UPSTREAM_UNAVAILABLE } from "./upstream/unavailable.ts";

export const ERROR_CODES = {
  badUserInput: "BAD_USER_INPUT",
  unauthenticated: "UNAUTHENTICATED",
  notFound: "NOT_FOUND",
  unavailable: "CONVEX_UNAVAILABLE",
  functionTimeout: "CONVEX_FUNCTION_TIMEOUT",
  conflict: "CONVEX_CONFLICT",
  convexError: "CONVEX_ERROR",
  forbidden: "FORBIDDEN",
} as const;

export type GatewayErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Every code an upstream error can carry, and the `extensions.code` it becomes. */
export const CODE_TABLE: Readonly<Record<string, GatewayErrorCode>> = {
  ArgumentValidationError: ERROR_CODES.badUserInput,
  InvalidCursor: ERROR_CODES.badUserInput,
  Unauthenticated: ERROR_CODES.unauthenticated,
  NoAuthProvider: ERROR_CODES.unauthenticated,
  InvalidAuthHeader: ERROR_CODES.unauthenticated,
  FunctionNotFound: ERROR_CODES.notFound,
  BadConvexFunctionIdentifier: ERROR_CODES.notFound,
  FunctionTimeout: ERROR_CODES.functionTimeout,
  Busy: ERROR_CODES.unavailable,
  OptimisticConcurrencyControlFailure: ERROR_CODES.conflict,
  [UPSTREAM_UNAVAILABLE]: ERROR_CODES.unavailable,
  ...Object.fromEntries([...NETWORK_ERROR_CODES].map((code) => [code, ERROR_CODES.unavailable])),
};

/** The words Convex starts a code-less failure's detail with, and the code they stand for. */
const CODELESS_SIGNATURES: readonly (readonly [string, string])[] = [
  ["Could not find public function", "FunctionNotFound"],
  ["Function execution timed out", "FunctionTimeout"],
];

/** What an upstream error carries: its code and its message for people. */
interface Carried {
  readonly code: string | null;
  readonly message: string;
}

const SERVER_ERROR = /^(?:\[CONVEX [A-Z]\([^)]*\)\] )?\[Request ID: [^\]]*\] Server Error\n?/;

/** The detail of a Convex error message: without the request-id framing and client suffix. */
function detailOf(message: string): string {
  return message.replace(SERVER_ERROR, "").replace(/\n\s*Called by client$/, "");
}

/** The `{code, message}` body Convex answers a refused request with, if `message` is one. */
function bodyCode(message: string): Carried | null {
  if (!message.startsWith("{")) return null;
  try {
    const body = JSON.parse(message) as { code?: unknown; message?: unknown };
    if (typeof body.code !== "string") return null;
    return { code: body.code, message: typeof body.message === "string" ? body.message : "" };
  } catch {
    return null; // not a Convex answer
  }
}

/** The code `error` carries (see the file comment), and the message to show with it. */
export function upstreamCode(error: unknown): Carried {
  const message = error instanceof Error ? error.message : String(error);
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === "string") return { code: own, message };
  const body = bodyCode(message);
  if (body !== null) return body;
  const detail = detailOf(message);
  const short = /^(?:Uncaught Error: )?([A-Za-z_]+): ([\s\S]*)$/.exec(detail);
  if (short?.[1] !== undefined && short[1] in CODE_TABLE) {
    return { code: short[1], message: detail };
  }
  for (const [words, code] of CODELESS_SIGNATURES) {
    if (detail.startsWith(words)) return { code, message: detail };
  }
  return { code: null, message: detail };
}

/** Convex's `Uncaught <Name>: ` line prefix (once per action a failure passed through). */
const UNCAUGHT_PREFIX = /^Uncaught (?:[A-Za-z]*Error): /;

/**
 * The part of a Convex error message a person needs: the thrown message, no framing. A failure
 * nested in an action carries one `Uncaught ...: ` per level (`Uncaught Error: Uncaught Error:
 * boom`); all of them go, and the stack frames after the message line.
 */
export function cleanConvexMessage(message: string): string {
  let detail = detailOf(message);
  if (!UNCAUGHT_PREFIX.test(detail)) return detail.trim();
  while (UNCAUGHT_PREFIX.test(detail)) detail = detail.replace(UNCAUGHT_PREFIX, "");
  return (detail.split("\n    at ")[0] ?? "").trim();
}

function fromConvexError(error: ConvexError<Value>, path: string): GraphQLError {
  const data = error.data;
  const record =
    typeof data === "object" && data !== null && !Array.isArray(data)
      ? (data as Record<string, unknown>)
      : null;
  const code = typeof record?.["code"] === "string" ? record["code"] : ERROR_CODES.convexError;
  const message =
    typeof record?.["message"] === "string"
      ? record["message"]
      : typeof data === "string"
        ? data
        : cleanConvexMessage(error.message);
  return new GraphQLError(message, {
    extensions: { code, data: convexToJson(data), function: path },
  });
}

/** The message shown with each gateway code (`text`: the message the code came with). */
function messageFor(code: GatewayErrorCode, path: string, text: string): string {
  switch (code) {
    case ERROR_CODES.unauthenticated:
      return `Authentication failed: ${text}`;
    case ERROR_CODES.unavailable:
      return `The Convex backend is unreachable (${path}): ${text}`;
    case ERROR_CODES.functionTimeout:
      return `${path} ran too long: ${text}`;
    default:
      // Convex's argument errors read better without their code; others keep it (`InvalidCursor: ...`).
      return cleanConvexMessage(text).replace(/^ArgumentValidationError: /, "");
  }
}

/** Converts anything a Convex client threw into a GraphQLError (or leaves it to be masked). */
export function toGraphQLError(error: unknown, path: string): Error {
  if (error instanceof GraphQLError) return error;
  if (error instanceof ConvexError) return fromConvexError(error as ConvexError<Value>, path);
  const carried = upstreamCode(error);
  const code = carried.code === null ? undefined : CODE_TABLE[carried.code];
  if (code !== undefined) {
    const extensions =
      code === ERROR_CODES.unauthenticated || code === ERROR_CODES.unavailable
        ? { code }
        : { code, function: path };
    return new GraphQLError(messageFor(code, path, carried.message), { extensions });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (SERVER_ERROR.test(message)) {
    // An unexpected failure inside the function: a plain Error, so Yoga masks it outside dev.
    return new Error(`${path} failed: ${cleanConvexMessage(message)}`);
  }
  return error instanceof Error ? error : new Error(message);
}
