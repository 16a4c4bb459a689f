/**
 * What a type error in the app does to inferred results. TypeScript types an expression it
 * reported an error on as `any` (a misspelt field: `post.bodyy.length`), so a typed field would
 * silently become `JSON`:
 * - each such fallback says which error caused it (`convex/lib.ts:3:28: Property 'bodyy' ...`),
 *   the first one tsc reports in the function's module or the app files it imports;
 * - a long-lived worker (`dev`) keeps each function's last result inferred without a type error
 *   and answers it instead, so the schema does not change under clients while the app is
 *   mid-edit; the function is listed in `kept` with the error.
 */
import path from "node:path";
import type * as TS from "typescript";
import type { ValidatorJSON } from "convex/values";
import { ts } from "./typescript.ts";
import type { ImportGraph } from "./import_graph.ts";
import type { InferredReturns, ModuleReturns } from "./infer_returns.ts";
import type { InferenceFallback } from "./to_validator.ts";

/** A function answered with its last good result type because the app has a type error. */
export interface KeptResult {
  readonly path: string;
  /** The type error, as `file:line:column: message`. */
  readonly typeError: string;
}

export function located(diagnostic: TS.Diagnostic, convexDir: string): string {
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
  const file = diagnostic.file;
  if (file === undefined || diagnostic.start === undefined) return text;
  const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start);
  const name = path.relative(path.dirname(convexDir), file.fileName);
  return `${name}:${line + 1}:${character + 1}: ${text}`;
}

/** The first error tsc reports in `source` or the app's files it imports, or null. */
function firstTypeError(
  program: TS.Program,
  convexDir: string,
  source: TS.SourceFile,
  imports: ImportGraph,
): string | null {
  const inApp = (file: string): boolean =>
    !path.relative(convexDir, file).startsWith("..") && !file.includes("/node_modules/");
  for (const file of imports.closure(source.fileName)) {
    const reached = program.getSourceFile(file);
    if (reached === undefined || !inApp(file)) continue;
    const [error] = program
      .getSemanticDiagnostics(reached)
      .filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
    if (error !== undefined) return located(error, convexDir);
  }
  return null;
}

/** `module`'s results, each type-error fallback saying which error caused it. */
export function explainTypeErrors(
  module: ModuleReturns,
  program: TS.Program,
  convexDir: string,
  source: TS.SourceFile,
  imports: ImportGraph,
): ModuleReturns {
  // A fallback that already names its error (circularity.ts) keeps it.
  const unexplained = (fallback: InferenceFallback): boolean =>
    fallback.cause === "type-error" && fallback.typeError === undefined;
  if (!module.fallbacks.some(unexplained)) return module;
  const error = firstTypeError(program, convexDir, source, imports);
  if (error === null) return module;
  const fallbacks = module.fallbacks.map((fallback) =>
    unexplained(fallback)
      ? { ...fallback, reason: `a type error: ${error}`, typeError: error }
      : fallback,
  );
  return { ...module, fallbacks };
}

/**
 * Last good result types, per function: `keep` answers a function whose result now has a
 * type-error fallback with its last result that had none.
 */
export class LastGoodResults {
  private readonly results = new Map<string, ValidatorJSON>();

  keep(inferred: InferredReturns): InferredReturns {
    const broken = new Map<string, string>();
    for (const fallback of inferred.fallbacks)
      if (isResultTypeError(fallback) && !broken.has(fallback.path))
        broken.set(fallback.path, fallback.typeError ?? "TypeScript reports a type error");
    const returns = { ...inferred.returns };
    const kept: KeptResult[] = [];
    for (const [fnPath, result] of Object.entries(inferred.returns)) {
      const last = this.results.get(fnPath);
      const typeError = broken.get(fnPath);
      if (typeError === undefined) this.results.set(fnPath, result);
      else if (last !== undefined) {
        returns[fnPath] = last;
        kept.push({ path: fnPath, typeError });
      }
    }
    const keptPaths = new Set(kept.map((entry) => entry.path));
    const fallbacks = inferred.fallbacks.filter(
      (fallback) => !keptPaths.has(fallback.path) || !fallback.where.startsWith("returns"),
    );
    return { ...inferred, returns, fallbacks, ...(kept.length > 0 ? { kept } : {}) };
  }
}

/** A fallback in a result (not in args) caused by a type error. */
function isResultTypeError(fallback: InferenceFallback): boolean {
  return fallback.cause === "type-error" && fallback.where.startsWith("returns");
}
