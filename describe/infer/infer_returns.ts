/**
 * Infers the result type of each Convex function of an app from its handler, with the
 * TypeScript compiler API, as Convex validator JSON, and the arguments its handler types
 * (infer_args.ts). A registered function's type is `RegisteredQuery<Visibility, Args, Returns>`
 * (or Mutation/Action), whose `_handler` returns `Returns`; a `Promise` is awaited.
 */
import path from "node:path";
import type * as TS from "typescript";
import { ts } from "./typescript.ts";
import type { ValidatorJSON } from "convex/values";
import { convexProgram } from "./program.ts";
import { TypeToValidator, type InferenceFallback } from "./to_validator.ts";
import { ImportGraph } from "./import_graph.ts";
import { explainTypeErrors, type KeptResult } from "./type_errors.ts";
import { inferArgs } from "./infer_args.ts";
import { explainCircularity } from "./circularity.ts";

/** What inference found, per function path (`dir/file:name`). */
export interface InferredReturns {
  /** The inferred result validator of every exported Convex function found. */
  readonly returns: Record<string, ValidatorJSON>;
  /**
   * The args object its handler types, per function (used where no args validator is declared);
   * absent for a handler whose parameter is not typed.
   */
  readonly args: Record<string, ValidatorJSON>;
  /** Where a result (`where: "returns..."`) or args (`"args..."`) fell back to `any`, and why. */
  readonly fallbacks: readonly InferenceFallback[];
  /** Functions answered with their last good result because of a type error (`dev`). */
  readonly kept?: readonly KeptResult[];
}

/** `convex/dir/file.ts` + `name` -> `dir/file:name` (Convex's canonical path). */
function functionPath(convexDir: string, file: string, exportName: string): string {
  const module = path
    .relative(convexDir, file)
    .replace(/\.(ts|tsx|js|jsx|mts|cts)$/, "")
    .split(path.sep)
    .join("/");
  return `${module}:${exportName}`;
}

const REGISTERED = new Set(["RegisteredQuery", "RegisteredMutation", "RegisteredAction"]);

/**
 * The handler's result when `type` is a registered Convex function, else null. Its type is the
 * alias `RegisteredQuery<Visibility, Args, Returns>` (Mutation, Action), where `Returns` is what
 * the handler returns; a `Promise` is awaited.
 */
function handlerResult(checker: TS.TypeChecker, type: TS.Type): TS.Type | null {
  if (type.aliasSymbol === undefined || !REGISTERED.has(type.aliasSymbol.getName())) return null;
  const result = type.aliasTypeArguments?.[2];
  if (result === undefined) return null;
  return checker.getAwaitedType(result) ?? result;
}

/** What inference found for the functions of one module. */
export interface ModuleReturns {
  readonly returns: Readonly<Record<string, ValidatorJSON>>;
  readonly args: Readonly<Record<string, ValidatorJSON>>;
  readonly fallbacks: readonly InferenceFallback[];
}

/** Infers the results of the functions `source` exports. */
export function inferModule(
  program: TS.Program,
  convexDir: string,
  source: TS.SourceFile,
): ModuleReturns {
  const checker = program.getTypeChecker();
  const returns: Record<string, ValidatorJSON> = {};
  const args: Record<string, ValidatorJSON> = {};
  const fallbacks: InferenceFallback[] = [];
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) return { returns, args, fallbacks };
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const type = checker.getTypeOfSymbolAtLocation(symbol, source);
    const result = handlerResult(checker, type);
    if (result === null) continue;
    const fnPath = functionPath(convexDir, source.fileName, exported.getName());
    const converter = new TypeToValidator(checker, fnPath);
    returns[fnPath] = converter.convert(result, "returns");
    const declaration = symbol.valueDeclaration;
    fallbacks.push(
      ...explainCircularity(converter.fallbacks, { program, source, declaration, convexDir }),
    );
    const inferredArgs = inferArgs(checker, type, fnPath);
    if (inferredArgs !== null) {
      if (inferredArgs.args !== null) args[fnPath] = inferredArgs.args;
      fallbacks.push(...inferredArgs.fallbacks);
    }
  }
  return { returns, args, fallbacks };
}

/** The app's function modules in `program`, in the program's order (dependencies first). */
export function functionSources(program: TS.Program): TS.SourceFile[] {
  const roots = new Set(program.getRootFileNames().map((file) => path.resolve(file)));
  return program.getSourceFiles().filter((source) => roots.has(path.resolve(source.fileName)));
}

/** The results of every module, in order, as one answer. */
export function joinModules(modules: Iterable<ModuleReturns>): InferredReturns {
  const returns: Record<string, ValidatorJSON> = {};
  const args: Record<string, ValidatorJSON> = {};
  const fallbacks: InferenceFallback[] = [];
  for (const module of modules) {
    Object.assign(returns, module.returns);
    Object.assign(args, module.args);
    fallbacks.push(...module.fallbacks);
  }
  return { returns, args, fallbacks };
}

/**
 * Infers the results of the functions in `DIR/convex` with a new program (see AppInference for
 * a worker that infers again). Never throws for type errors in the app (they do not stop
 * inference); throws only when the folder cannot be read.
 */
export function inferReturns(dir: string): InferredReturns {
  const convexDir = path.resolve(dir, "convex");
  const imports = new ImportGraph();
  const program = convexProgram(convexDir, { imports });
  return joinModules(
    functionSources(program).map((source) =>
      explainTypeErrors(
        inferModule(program, convexDir, source),
        program,
        convexDir,
        source,
        imports,
      ),
    ),
  );
}
