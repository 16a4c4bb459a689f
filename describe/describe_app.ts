/**
 * The description of a Convex app the gateway derives its schema from: what `engine/analyze.ts`
 * reads from the loaded modules (paths, kinds, validators, tables), plus, for every function
 * that declares no `returns` validator, the result type TypeScript infers for its handler, and
 * for one that declares no args validator, the args its handler's parameter types
 * (describe/infer). A declared validator always wins; the two are never mixed in one result.
 */
import type { ValidatorJSON } from "convex/values";
import { analyzeConvexApp, type AppDescription, type FunctionInfo } from "../engine/analyze.ts";
import { inferReturnsOffThread } from "./infer/off_thread.ts";
import type { InferredReturns } from "./infer/infer_returns.ts";
import type { InferenceFallback } from "./infer/to_validator.ts";
import type { KeptResult } from "./infer/type_errors.ts";
import { partOf } from "./infer/inferred_part.ts";

export interface DescribedApp extends AppDescription {
  /** Where an inferred result fell back to `JSON`, and why (public functions only). */
  readonly fallbacks: readonly InferenceFallback[];
  /** Why inference did not run (results then stay `JSON` unless declared), or null. */
  readonly inferenceError: string | null;
  /** Functions whose last good inferred result serves while the app has a type error (`dev`). */
  readonly kept?: readonly KeptResult[];
}

export interface DescribeOptions {
  /** The deployment's environment variables, seen by module top levels (see analyzeConvexApp). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Infer undeclared result types with TypeScript (in a worker thread).
   * @default true
   */
  readonly inferReturns?: boolean;
  /**
   * Answer from the inference cache when `convex/` is unchanged (describe/infer/cache.ts).
   * @default true
   */
  readonly useCache?: boolean;
  /**
   * Infer in a new worker (a cold start, as a new process has) instead of the process's
   * long-lived one, which re-parses only the files changed since its last inference.
   * @default false
   */
  readonly freshWorker?: boolean;
}

/** `fn` with its inferred result when it declares no `returns` validator. */
function withResult(fn: FunctionInfo, inferred: InferredReturns): FunctionInfo {
  if (fn.returns !== null) return { ...fn, returnsSource: "validator" };
  const returns: ValidatorJSON | undefined = inferred.returns[fn.path];
  return returns === undefined ? fn : { ...fn, returns, returnsSource: "inferred" };
}

/**
 * `fn` with the args its handler types when it declares no args validator (Convex's spec then
 * says `any`; a declared `v.any()` types the handler's parameter `any`: none inferred).
 */
function withArgs(fn: FunctionInfo, inferred: InferredReturns): FunctionInfo {
  const args: ValidatorJSON | undefined = inferred.args[fn.path];
  if (fn.args.type !== "any" || args === undefined) return fn;
  return { ...fn, args, argsSource: "inferred" };
}

/** Merges inferred results and args into functions that declare none. */
export function withInferredReturns(
  app: AppDescription,
  inferred: InferredReturns,
): { functions: FunctionInfo[]; fallbacks: InferenceFallback[]; kept: KeptResult[] } {
  const functions = app.functions.map((fn) => withArgs(withResult(fn, inferred), inferred));
  const used = new Set<string>();
  for (const fn of functions) {
    if (fn.visibility !== "public") continue;
    if (fn.returnsSource === "inferred") used.add(`${fn.path} returns`);
    if (fn.argsSource === "inferred") used.add(`${fn.path} args`);
  }
  // A fallback counts only in what was adopted: `where` starts with `returns` or `args`.
  const fallbacks = inferred.fallbacks
    .filter((fallback) => used.has(`${fallback.path} ${partOf(fallback)}`))
    .sort((a, b) => (a.path === b.path ? 0 : a.path < b.path ? -1 : 1));
  const kept = (inferred.kept ?? []).filter((entry) => used.has(`${entry.path} ${entry.part}`));
  return { functions, fallbacks, kept };
}

/**
 * Describes the app in `DIR/convex`. Type errors in the app never fail it: a failed inference
 * leaves undeclared results as `JSON` and says why in `inferenceError`.
 * @throws BundleError / SchemaLoadError when the functions do not compile (as analyzeConvexApp).
 */
export async function describeApp(
  dir: string,
  options: DescribeOptions = {},
): Promise<DescribedApp> {
  const inference =
    options.inferReturns === false
      ? Promise.resolve(null)
      : inferReturnsOffThread(dir, {
          useCache: options.useCache !== false,
          freshWorker: options.freshWorker === true,
        }).catch((error: unknown) => error as Error);
  const app = await analyzeConvexApp(dir, options.env !== undefined ? { env: options.env } : {});
  const inferred = await inference;
  if (inferred === null) return { ...app, fallbacks: [], inferenceError: null };
  if (inferred instanceof Error) return { ...app, fallbacks: [], inferenceError: inferred.message };
  return { ...app, ...withInferredReturns(app, inferred), inferenceError: null };
}
