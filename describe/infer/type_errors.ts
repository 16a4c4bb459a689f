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
import { partOf, type InferredPart } from "./inferred_part.ts";

/** A function answered with its last good result (or args) type because the app has a type error. */
export interface KeptResult {
  readonly path: string;
  /** What was kept: the result type, or the args its handler types. */
  readonly part: InferredPart;
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
 * Last good inferred types, per function and part: `keep` answers a function whose result (or
 * args) now has a type-error fallback with its last one that had none.
 */
export class LastGoodResults {
  private readonly last: Record<InferredPart, Map<string, ValidatorJSON>> = {
    returns: new Map(),
    args: new Map(),
  };

  keep(inferred: InferredReturns): InferredReturns {
    this.forgetRemoved(inferred);
    const kept: KeptResult[] = [];
    const returns = this.keepPart(inferred, "returns", kept);
    const args = this.keepPart(inferred, "args", kept);
    const keptParts = new Set(kept.map((entry) => `${entry.path} ${entry.part}`));
    const fallbacks = inferred.fallbacks.filter(
      (fallback) => !keptParts.has(`${fallback.path} ${partOf(fallback)}`),
    );
    return { ...inferred, returns, args, fallbacks, ...(kept.length > 0 ? { kept } : {}) };
  }

  /** Forgets functions the app no longer has: one added again later starts afresh. */
  private forgetRemoved(inferred: InferredReturns): void {
    for (const memory of Object.values(this.last))
      for (const fnPath of [...memory.keys()])
        if (!(fnPath in inferred.returns)) memory.delete(fnPath);
  }

  /** `inferred[part]`, with the last good one of each function a type error broke it in. */
  private keepPart(
    inferred: InferredReturns,
    part: InferredPart,
    kept: KeptResult[],
  ): Record<string, ValidatorJSON> {
    const broken = new Map<string, string>();
    for (const fallback of inferred.fallbacks)
      if (
        fallback.cause === "type-error" &&
        partOf(fallback) === part &&
        !broken.has(fallback.path)
      )
        broken.set(fallback.path, fallback.typeError ?? "TypeScript reports a type error");
    const values = { ...inferred[part] };
    const memory = this.last[part];
    // Every function has a result; one whose args are not typed has none to remember.
    for (const fnPath of Object.keys(inferred.returns)) {
      const typeError = broken.get(fnPath);
      const now = values[fnPath];
      if (typeError === undefined) {
        if (now === undefined) memory.delete(fnPath);
        else memory.set(fnPath, now);
        continue;
      }
      const last = memory.get(fnPath);
      if (last === undefined) continue;
      values[fnPath] = last;
      kept.push({ path: fnPath, part, typeError });
    }
    return values;
  }
}
