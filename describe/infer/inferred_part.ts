/**
 * The two things inferred of a function: its result (a fallback's `where` is `returns...`) and the
 * args its handler types (`args...`). Its own module: the main thread uses it without loading
 * TypeScript.
 */
import type { InferenceFallback } from "./to_validator.ts";

export type InferredPart = "returns" | "args";

/** The part a fallback is in, from its `where` (`returns.page[]`, `args.limit`). */
export function partOf(fallback: InferenceFallback): InferredPart {
  return fallback.where.startsWith("args") ? "args" : "returns";
}
