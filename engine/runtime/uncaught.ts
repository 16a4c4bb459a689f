/**
 * The `Uncaught <Name>: <message>` line of a function's failure, as Convex writes it: the error's
 * own `name` (a `ConvexError` subclass by its own name; a host failure as `Error`), then the
 * first stack frame in the app's sources.
 */
import { uncaughtText, withFrameText } from "../convex_messages.ts";
import { errorMessageOf, FunctionFailure } from "../errors.ts";
import type { StackMapper } from "./stack_frames.ts";

/** The name Convex prints for `error`. */
function errorName(error: unknown): string {
  if (error instanceof FunctionFailure) return "Error";
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : "Error";
}

/** An uncaught error as Convex's JsError holds it: the message line and the first user frame. */
export interface UncaughtError {
  /** `Uncaught <Name>: <message>`. */
  readonly message: string;
  /** `    at <fn> (../convex/<file>:<line>:<col>)`, or null when no user frame was found. */
  readonly frame: string | null;
}

/** `error` as Convex's JsError of an uncaught error holds it. */
export function uncaughtError(error: unknown, mapper: StackMapper | null): UncaughtError {
  return {
    message: uncaughtText(errorName(error), errorMessageOf(error)),
    frame: mapper?.firstUserFrame(error) ?? null,
  };
}

/** `Uncaught <Name>: <message>` and, when `mapper` finds one, the first user frame. */
export function uncaughtLine(error: unknown, mapper: StackMapper | null): string {
  const { message, frame } = uncaughtError(error, mapper);
  return withFrameText(message, frame);
}
