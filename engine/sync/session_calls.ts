/**
 * What a finished mutation or action means for its socket, as Convex answers it: a
 * `MutationResponse`/`ActionResponse` to send (for a committed mutation, with the commit
 * timestamp a later Transition must reach: read-your-writes), or, on a system error, a close with
 * 1013 so the client retries. Pure: the session sends what these return.
 */
import { errorMessageOf, RequestError } from "../errors.ts";
import { encodeTs } from "../http/timestamps.ts";
import type { FunctionOutcome } from "../runtime/executor.ts";
import type { Timestamp } from "../storage/types.ts";
import type { ServerMessage } from "./protocol.ts";
import type { ExactlyOnceOutcome } from "./session_requests.ts";

export type CallAnswer =
  | { readonly kind: "send"; readonly message: ServerMessage; readonly committedTs?: Timestamp }
  | { readonly kind: "close"; readonly code: 1013; readonly reason: string };

type Failed = Extract<FunctionOutcome, { status: "error" }>;

function errorData(outcome: Failed): { errorData?: unknown } {
  return outcome.errorData !== undefined ? { errorData: outcome.errorData } : {};
}

/** The answer to a mutation that ran (or was replayed). */
export function mutationAnswer(requestId: number, outcome: ExactlyOnceOutcome): CallAnswer {
  if (outcome.status === "error") {
    if (outcome.systemError !== undefined)
      return { kind: "close", code: 1013, reason: outcome.systemError.code };
    const { errorMessage: result, logLines } = outcome;
    return {
      kind: "send",
      message: {
        type: "MutationResponse",
        requestId,
        success: false,
        result,
        ts: null,
        logLines,
        ...errorData(outcome),
      },
    };
  }
  return {
    kind: "send",
    message: {
      type: "MutationResponse",
      requestId,
      success: true,
      result: outcome.value,
      ts: encodeTs(outcome.ts),
      logLines: outcome.logLines,
    },
    committedTs: outcome.ts,
  };
}

/** The answer to an action that ran. */
export function actionAnswer(requestId: number, outcome: FunctionOutcome): CallAnswer {
  if (outcome.status === "error") {
    if (outcome.systemError !== undefined)
      return { kind: "close", code: 1013, reason: outcome.systemError.code };
    const { errorMessage: result, logLines } = outcome;
    return {
      kind: "send",
      message: {
        type: "ActionResponse",
        requestId,
        success: false,
        result,
        logLines,
        ...errorData(outcome),
      },
    };
  }
  const { value: result, logLines } = outcome;
  return {
    kind: "send",
    message: { type: "ActionResponse", requestId, success: true, result, logLines },
  };
}

/** The answer to a call that threw before it had an outcome (a bad request, an engine fault). */
export function callFailureAnswer(
  type: "MutationResponse" | "ActionResponse",
  requestId: number,
  error: unknown,
): CallAnswer {
  const result =
    type === "MutationResponse" && error instanceof RequestError
      ? error.message
      : `[Request ID: ${requestId}] Server Error\n${errorMessageOf(error)}`;
  const message: ServerMessage =
    type === "MutationResponse"
      ? { type, requestId, success: false, result, ts: null, logLines: [] }
      : { type, requestId, success: false, result, logLines: [] };
  return { kind: "send", message };
}
