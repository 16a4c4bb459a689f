/**
 * Engine errors: one table of codes and one normaliser.
 *
 * Two channels, as in Convex: a failed *function* becomes a value sent to the client
 * (`{ status: "error", errorMessage, errorData? }`), while a malformed *request* (unknown
 * function, bad JSON, wrong HTTP method) is answered with `{ code, message }` and an HTTP status.
 */

/** Codes of request-level errors, with the HTTP status Convex answers them with. */
export const REQUEST_ERROR_STATUS = {
  BadJsonBody: 400,
  BadFormat: 400,
  MissingIdentifier: 400,
  BadConvexFunctionIdentifier: 400,
  InvalidFunctionKind: 400,
  BadRequest: 400,
  InvalidStoragePath: 400,
  Unauthenticated: 401,
  NoAuthProvider: 401,
  InvalidAuthHeader: 401,
  BadDeployKey: 403,
  StorageTokenInvalid: 401,
  StorageTokenExpired: 401,
  NotFound: 404,
  FileNotFound: 404,
  UploadExpired: 404,
  ImportExpired: 404,
  MethodNotAllowed: 405,
  PayloadTooLarge: 413,
  TooManyUploads: 429,
  NotImplemented: 501,
  InternalServerError: 500,
  OptimisticConcurrencyControlFailure: 503,
  Busy: 503,
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERROR_STATUS;

/** A request that cannot be run at all. The HTTP layer turns it into `{ code, message }`. */
export class RequestError extends Error {
  readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string) {
    super(message);
    this.name = "RequestError";
    this.code = code;
  }
  get httpStatus(): number {
    return REQUEST_ERROR_STATUS[this.code];
  }
}

/**
 * A function execution that failed. `message` is what the client sees as `errorMessage`;
 * `data` is the convex-encoded JSON of a `ConvexError`'s data, when the user threw one.
 */
export class FunctionFailure extends Error {
  readonly data: unknown;
  constructor(message: string, data?: unknown) {
    super(message);
    this.name = "FunctionFailure";
    this.data = data;
  }
}

/** A query or mutation ran past its time limit. */
export class TimeoutError extends FunctionFailure {}

/** A mutation lost its optimistic-concurrency race; the executor retries it. */
export class ConflictError extends Error {
  /** The table whose read range a concurrent commit wrote into. */
  readonly table: string;
  constructor(message: string, table: string) {
    super(message);
    this.name = "ConflictError";
    this.table = table;
  }
}

/**
 * The codes of Convex's system errors: not the function's fault, never catchable by it, and
 * retried by clients (over the sync protocol the socket closes with 1013 and this code as the
 * reason; over HTTP they answer 503 `{code, message}`). `Busy` is Convex's short code of its
 * Overloaded class.
 */
export type SystemErrorCode = "OptimisticConcurrencyControlFailure" | "Busy";

/** A system error raised during a function (OCC after every retry, `throwOcc`, `throwOverloaded`). */
export class SystemError extends Error {
  readonly code: SystemErrorCode;
  constructor(code: SystemErrorCode, message: string) {
    super(message);
    this.name = "SystemError";
    this.code = code;
  }
}

/** The codes of refused credentials: each answers HTTP 401 (403 for a bad admin key). */
export type AuthErrorCode = "NoAuthProvider" | "InvalidAuthHeader" | "Unauthenticated";

/** True when `error` is a user-thrown `ConvexError` (from any realm: the check is by symbol). */
export function isConvexError(error: unknown): error is { message: string; data: unknown } {
  return (
    typeof error === "object" &&
    error !== null &&
    Symbol.for("ConvexError") in error &&
    "data" in error
  );
}

/**
 * The convex-encoded data of a thrown `ConvexError`: `convex/server` replaces `data` with its
 * JSON text before the error leaves the function; nested calls hand it over already decoded.
 */
export function convexErrorData(error: { data: unknown }): unknown {
  return typeof error.data === "string" ? (JSON.parse(error.data) as unknown) : error.data;
}

/** The message of anything thrown, whatever realm or shape it came from. */
export function errorMessageOf(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) {
    const message = error.message;
    if (typeof message === "string") return message;
  }
  return String(error);
}
