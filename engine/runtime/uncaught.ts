/**
 * The `Uncaught <Name>: <message>` line of a function's failure, as Convex writes it: the error's
 * own `name` (a `ConvexError` subclass by its own name; a host failure as `Error`), then the
 * first stack frame in the app's sources.
 */
import { uncaughtText } from "../convex_messages.ts";
import { errorMessageOf, FunctionFailure } from "../errors.ts";
import type { StackMapper } from "./stack_frames.ts";

/** The name Convex prints for `error`. */
function errorName(error: unknown): string {
  if (error instanceof FunctionFailure) return "Error";
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" && name !== "" ? name : "Error";
}

/** `Uncaught <Name>: <message>` and, when `mapper` finds one, the first user frame. */
export function uncaughtLine(error: unknown, mapper: StackMapper | null): string {
  const frame = mapper?.firstUserFrame(error) ?? null;
  return uncaughtText(errorName(error), errorMessageOf(error), frame);
}
