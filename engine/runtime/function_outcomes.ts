/**
 * Builders of `FunctionOutcome`s: a success, a request refused before the function ran, a failure
 * of the function (a read-only execution keeps its read set so the failure stays reactive; a
 * writing one aborts), a system error, and Convex's wording of an uncaught error. One place, so
 * that every path words its outcome the same way.
 */
import type { SystemError } from "../errors.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import { serverErrorText } from "../convex_messages.ts";
import type { Execution } from "./execution.ts";
import type { FunctionOutcome } from "./executor_types.ts";
import type { StackMapper } from "./stack_frames.ts";
import { uncaughtLine } from "./uncaught.ts";

export type Failure = (
  errorMessage: string,
  errorData?: unknown,
  cause?: string,
) => Extract<FunctionOutcome, { status: "error" }>;

/** A failed function's message: the request-id framing, the Uncaught line and its frame. */
export function formatUncaught(
  requestId: string,
  error: unknown,
  mapper: StackMapper | null,
): string {
  return serverErrorText(requestId, uncaughtLine(error, mapper));
}

/** The outcome of a request refused before the function ran (unknown function, bad arguments). */
export function requestFailure(
  errorMessage: string,
): Extract<FunctionOutcome, { status: "error" }> {
  return {
    status: "error",
    errorMessage,
    logLines: [],
    ts: null,
    readSet: null,
    observedIdentity: false,
  };
}

/** The outcome of a system error, before or after the function ran. */
export function systemFailure(
  error: SystemError,
  logLines: string[] = [],
): Extract<FunctionOutcome, { status: "error" }> {
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
  return (errorMessage, errorData, cause) => ({
    status: "error",
    errorMessage,
    ...(errorData !== undefined ? { errorData } : {}),
    ...(cause !== undefined ? { cause } : {}),
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
