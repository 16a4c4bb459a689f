/**
 * Builders of `FunctionOutcome`s: a success, a request refused before the function ran, a failure
 * of the function (a read-only execution keeps its read set so the failure stays reactive; a
 * writing one aborts), a system error, and Convex's wording of an uncaught error. One place, so
 * that every path words its outcome the same way.
 */
import { convexErrorData, errorMessageOf, isConvexError, type SystemError } from "../errors.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import { serverErrorText } from "../convex_messages.ts";
import type { Execution } from "./execution.ts";
import type { FunctionOutcome } from "./executor_types.ts";
import type { StackMapper } from "./stack_frames.ts";
import { uncaughtLine } from "./uncaught.ts";

type ErrorOutcome = Extract<FunctionOutcome, { status: "error" }>;

/** The texts of a failed function (see the error outcome's fields). */
export type FailureTexts = Pick<ErrorOutcome, "errorMessage" | "errorData" | "cause" | "detail">;

export type Failure = (texts: FailureTexts) => ErrorOutcome;

/**
 * The texts of a function's own failure: `detail` with the request-id framing for the client,
 * without it for a calling action.
 */
export function framedFailure(
  requestId: string,
  detail: string,
  extra: Pick<FailureTexts, "errorData" | "cause"> = {},
): FailureTexts {
  return { errorMessage: serverErrorText(requestId, detail), detail, ...extra };
}

/** The texts of an uncaught `error`: its Uncaught line and frame, and a ConvexError's data. */
export function uncaughtFailure(
  requestId: string,
  error: unknown,
  mapper: StackMapper | null,
): FailureTexts {
  return framedFailure(requestId, uncaughtLine(error, mapper), {
    ...(isConvexError(error) ? { errorData: convexErrorData(error) } : {}),
    cause: errorMessageOf(error),
  });
}

/** The outcome of a request refused before the function ran (unknown function, bad arguments). */
export function requestFailure(texts: FailureTexts): ErrorOutcome {
  return {
    status: "error",
    ...texts,
    logLines: [],
    ts: null,
    readSet: null,
    observedIdentity: false,
  };
}

/** The outcome of a system error, before or after the function ran. */
export function systemFailure(error: SystemError, logLines: string[] = []): ErrorOutcome {
  return {
    status: "error",
    errorMessage: error.message,
    logLines,
    ts: null,
    readSet: null,
    observedIdentity: false,
    systemError: error,
  };
}

/** How `execution` fails: a read-only one keeps its read set, a writing one aborts. */
export function failureOf(execution: Execution, tx: Transaction, readOnly: boolean): Failure {
  return (texts) => ({
    status: "error",
    ...texts,
    logLines: execution.logLines,
    ts: null,
    readSet: readOnly ? tx.finishRead() : (tx.abort(), null),
    observedIdentity: tx.observedIdentity,
    journal: execution.journalOut,
  });
}

export function succeeded(
  execution: Execution,
  tx: Transaction,
  value: unknown,
  ts: Timestamp,
): Extract<FunctionOutcome, { status: "success" }> {
  return {
    status: "success",
    value,
    logLines: execution.logLines,
    ts,
    readSet: null,
    observedIdentity: tx.observedIdentity,
  };
}
