/**
 * The commonest type error of real Convex apps: an action (or a function) whose result depends on
 * `api`/`internal` (`await ctx.runQuery(internal.tasks.get, ...)` returned, unannotated) makes
 * its own module's type depend on itself, and tsc gives up with `any` (TS7022 "... implicitly has
 * type 'any' because it does not have a type annotation and is referenced directly or indirectly
 * in its own initializer", TS7023 for the handler's return type). Such a result is not "`any`
 * here" but a type error with a known fix: annotate the handler's return type.
 */
import type * as TS from "typescript";
import type { InferenceFallback } from "./to_validator.ts";
import { located } from "./type_errors.ts";

/** TS7023 (a function's return type), TS7022 (a variable), TS7024 (a function expression). */
const CIRCULARITY_CODES = [7023, 7022, 7024];

/** The circularity error tsc reports inside `declaration`, as `file:line:column: message`, or null. */
function circularityError(
  program: TS.Program,
  source: TS.SourceFile,
  declaration: TS.Node,
  convexDir: string,
): string | null {
  const inside = program
    .getSemanticDiagnostics(source)
    .filter(
      (diagnostic) =>
        diagnostic.start !== undefined &&
        diagnostic.start >= declaration.pos &&
        diagnostic.start < declaration.end,
    );
  for (const code of CIRCULARITY_CODES) {
    const found = inside.find((diagnostic) => diagnostic.code === code);
    if (found !== undefined) return located(found, convexDir);
  }
  return null;
}

/**
 * `fallbacks` with a whole result of plain `any` (at `returns`) explained by the circularity error
 * in the function's `declaration`, if tsc reports one there (a type error: dev keeps the last good
 * result meanwhile).
 */
export function explainCircularity(
  fallbacks: readonly InferenceFallback[],
  context: {
    readonly program: TS.Program;
    readonly source: TS.SourceFile;
    readonly declaration: TS.Node | undefined;
    readonly convexDir: string;
  },
): InferenceFallback[] {
  const whole = fallbacks.find(
    (fallback) => fallback.where === "returns" && fallback.cause === undefined,
  );
  if (whole === undefined || context.declaration === undefined) return [...fallbacks];
  const error = circularityError(
    context.program,
    context.source,
    context.declaration,
    context.convexDir,
  );
  if (error === null) return [...fallbacks];
  const explained: InferenceFallback = {
    ...whole,
    reason: `a type error: ${error} (annotate the handler's return type)`,
    cause: "type-error",
    typeError: error,
  };
  return fallbacks.map((fallback) => (fallback === whole ? explained : fallback));
}
