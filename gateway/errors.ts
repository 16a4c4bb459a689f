/**
 * The one normaliser of errors from Convex into GraphQL errors (codes in `extensions.code`):
 *
 * | what happened                                   | extensions.code        |
 * | ----------------------------------------------- | ---------------------- |
 * | the function threw `ConvexError(data)`          | `data.code` if a string, else `CONVEX_ERROR`; `extensions.data` = data |
 * | argument validation failed, an invalid cursor   | `BAD_USER_INPUT`       |
 * | the token was rejected or expired               | `UNAUTHENTICATED`      |
 * | the function does not exist (stale schema)      | `NOT_FOUND`            |
 * | the backend cannot be reached / timed out       | `CONVEX_UNAVAILABLE`   |
 * | anything else                                   | left as is: Yoga masks it outside dev |
 */
import { GraphQLError } from "graphql";
import { ConvexError, convexToJson, type Value } from "convex/values";

export const ERROR_CODES = {
  badUserInput: "BAD_USER_INPUT",
  unauthenticated: "UNAUTHENTICATED",
  notFound: "NOT_FOUND",
  unavailable: "CONVEX_UNAVAILABLE",
  convexError: "CONVEX_ERROR",
  forbidden: "FORBIDDEN",
} as const;

/**
 * Convex's own error codes for bad input (the short code a system error's message starts with,
 * which the official client's consumers match too, e.g. `usePaginatedQuery` and `InvalidCursor`),
 * and the GraphQL code each becomes.
 */
const CONVEX_CODES: Readonly<Record<string, string>> = {
  ArgumentValidationError: ERROR_CODES.badUserInput,
  InvalidCursor: ERROR_CODES.badUserInput,
};

/**
 * Convex's codes for refused credentials (the `code` of its `{code, message}` answers):
 * each is `UNAUTHENTICATED`, its message kept after `Authentication failed: `.
 */
const CONVEX_AUTH_CODES: ReadonlySet<string> = new Set([
  "Unauthenticated",
  "NoAuthProvider",
  "InvalidAuthHeader",
]);

/**
 * The Convex code an error carries: its own `code` property (errors the gateway raises), or the
 * `code` of the `{code, message}` body the official HTTP client puts in its message.
 */
function carriedCode(error: unknown, message: string): { code: string; message: string } | null {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === "string") return { code: own, message };
  if (!message.startsWith("{")) return null;
  try {
    const body = JSON.parse(message) as { code?: unknown; message?: unknown };
    if (typeof body.code === "string") {
      return { code: body.code, message: typeof body.message === "string" ? body.message : "" };
    }
  } catch {
    // not a Convex answer
  }
  return null;
}

/** The Convex error code a server error's message starts with (`Server Error\nCode: ...`), if any. */
function convexCodeOf(message: string): string | null {
  const match = /Server Error\n(?:Uncaught Error: )?([A-Za-z]+): /.exec(message);
  return match?.[1] ?? null;
}

/** The part of a Convex error message after the request-id boilerplate. */
export function cleanConvexMessage(message: string): string {
  const uncaught = /Uncaught (?:ConvexError|Error): ([\s\S]*)$/.exec(message);
  if (uncaught?.[1] !== undefined) {
    const text = uncaught[1].split("\n    at ")[0] ?? uncaught[1];
    return text.replace(/\n\s*Called by client$/, "").trim();
  }
  const withoutPrefix = message
    .replace(/^\[CONVEX [A-Z]\([^)]*\)\] /, "")
    .replace(/\[Request ID: [^\]]*\] Server Error\n?/, "");
  return withoutPrefix.replace(/\n\s*Called by client$/, "").trim();
}

/** Converts anything a Convex client threw into a GraphQLError (or leaves it to be masked). */
export function toGraphQLError(error: unknown, path: string): Error {
  if (error instanceof GraphQLError) return error;
  if (error instanceof ConvexError) {
    const data = error.data as Value;
    const code =
      typeof data === "object" &&
      data !== null &&
      !Array.isArray(data) &&
      typeof (data as Record<string, unknown>)["code"] === "string"
        ? ((data as Record<string, unknown>)["code"] as string)
        : ERROR_CODES.convexError;
    const dataMessage =
      typeof data === "object" &&
      data !== null &&
      typeof (data as Record<string, unknown>)["message"] === "string"
        ? ((data as Record<string, unknown>)["message"] as string)
        : typeof data === "string"
          ? data
          : cleanConvexMessage(error.message);
    return new GraphQLError(dataMessage, {
      extensions: { code, data: convexToJson(data), function: path },
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const convexCode = convexCodeOf(message);
  const code = convexCode === null ? undefined : CONVEX_CODES[convexCode];
  if (code !== undefined) {
    return new GraphQLError(cleanConvexMessage(message).replace(/^ArgumentValidationError: /, ""), {
      extensions: { code, function: path },
    });
  }
  const carried = carriedCode(error, message);
  if (carried !== null && CONVEX_AUTH_CODES.has(carried.code)) {
    return new GraphQLError(`Authentication failed: ${carried.message}`, {
      extensions: { code: ERROR_CODES.unauthenticated },
    });
  }
  if (message.includes("Could not find public function")) {
    return new GraphQLError(cleanConvexMessage(message), {
      extensions: { code: ERROR_CODES.notFound, function: path },
    });
  }
  if (/fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|timed out/i.test(message)) {
    return new GraphQLError(`The Convex backend is unreachable (${path}): ${message}`, {
      extensions: { code: ERROR_CODES.unavailable },
    });
  }
  if (/\[Request ID: [^\]]*\] Server Error/.test(message)) {
    // An unexpected failure inside the function: a plain Error, so Yoga masks it outside dev.
    return new Error(`${path} failed: ${cleanConvexMessage(message)}`);
  }
  return error instanceof Error ? error : new Error(message);
}
