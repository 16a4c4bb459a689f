/**
 * The arguments of a function from its handler's parameter (`handler: async (ctx, args: {
 * channel: Id<"channels"> }) => ...`), as an object validator, so that a function declaring no
 * args validator gets typed GraphQL arguments instead of one `args: JSON`. A registered
 * function's type is `RegisteredQuery<Visibility, Args, Returns>` (Mutation, Action):
 * - `Args` is Convex's `EmptyObject` (`Record<string, never>`) when the handler takes no
 *   arguments: an object without fields (a GraphQL field without arguments);
 * - `DefaultFunctionArgs` (`Record<string, unknown>`) when the parameter is not typed, `any`
 *   when typed so: nothing is known (the function keeps `args: JSON`);
 * - else the parameter's type, which must be an object.
 */
import type * as TS from "typescript";
import type { ValidatorJSON } from "convex/values";
import { ts } from "./typescript.ts";
import { isErrorType, TypeToValidator, type InferenceFallback } from "./to_validator.ts";

export interface InferredArgs {
  /** Null when a type error leaves nothing known (the fallback says so: a kept last good). */
  readonly args: ValidatorJSON | null;
  readonly fallbacks: readonly InferenceFallback[];
}

const NO_ARGS: ValidatorJSON = { type: "object", value: {} };

/** True for an object type without properties whose every key would hold `never`. */
function isEmptyObject(checker: TS.TypeChecker, type: TS.Type): boolean {
  if (!(type.flags & ts.TypeFlags.Object) || checker.getPropertiesOfType(type).length > 0)
    return false;
  return checker.getIndexInfosOfType(type).every((index) => index.type.flags & ts.TypeFlags.Never);
}

/**
 * The args object validator of the registered function typed `registered` (`fnPath`), or null
 * when its handler does not type them (or types them as something other than an object). A
 * parameter whose type is a type error (`args: Filter` of a missing `Filter`) gives no args and
 * its type-error fallback, so that `dev` can keep the last good ones (type_errors.ts).
 */
export function inferArgs(
  checker: TS.TypeChecker,
  registered: TS.Type,
  fnPath: string,
): InferredArgs | null {
  const type = registered.aliasTypeArguments?.[1];
  if (type === undefined) return null;
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) && !isErrorType(type)) return null;
  if (isEmptyObject(checker, type)) return { args: NO_ARGS, fallbacks: [] };
  const converter = new TypeToValidator(checker, fnPath);
  const args = converter.convert(type, "args");
  if (args.type === "object") return { args, fallbacks: converter.fallbacks };
  const typeErrors = converter.fallbacks.filter((fallback) => fallback.cause === "type-error");
  return typeErrors.length > 0 ? { args: null, fallbacks: typeErrors } : null;
}
