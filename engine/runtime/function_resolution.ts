/**
 * From a request's path to a registered function: the app's registry or a component's (a
 * component function exists only for trusted callers), visibility and kind checks with Convex's
 * error texts, and the component rules that follow from the path (components see no identity).
 */
import { RequestError } from "../errors.ts";
import { functionNotFoundText } from "../convex_messages.ts";
import type { ComponentSet } from "../components/component_set.ts";
import { splitQualifiedPath } from "../components/qualified_path.ts";
import type { FunctionKind, UserIdentity } from "./execution.ts";
import type { FunctionRequest } from "./executor_types.ts";
import type { FunctionRegistry, RegisteredFunction } from "./registry.ts";

export type ResolvableRequest = Pick<
  FunctionRequest,
  "path" | "kind" | "allowInternal" | "componentPath" | "calledByParent"
>;

function kindLabel(kind: FunctionKind): string {
  return kind === "query" ? "Query" : kind === "mutation" ? "Mutation" : "Action";
}

/** The component a request's function belongs to (`""`: the app). */
export function componentOf(request: Pick<FunctionRequest, "path" | "componentPath">): string {
  return request.componentPath ?? splitQualifiedPath(request.path).componentPath;
}

/** Components never see the caller's identity (Convex gives them no `ctx.auth`). */
export function identityIn(
  componentPath: string,
  identity: UserIdentity | null,
): UserIdentity | null {
  return componentPath === "" ? identity : null;
}

/**
 * Resolves a request to a function.
 * @throws RequestError for unknown or internal functions and for a kind mismatch.
 */
export function resolveFunction(
  request: ResolvableRequest,
  registry: () => FunctionRegistry,
  components: (() => ComponentSet) | undefined,
): RegisteredFunction {
  const qualified = splitQualifiedPath(request.path);
  const componentPath = componentOf(request);
  const trusted = request.allowInternal === true || request.calledByParent === true;
  const functions =
    componentPath === ""
      ? registry()
      : trusted
        ? components?.().instance(componentPath)?.registry
        : undefined;
  const fn = functions?.lookup(qualified.path);
  if (fn === undefined || (fn.visibility === "internal" && request.allowInternal !== true)) {
    throw new RequestError("BadConvexFunctionIdentifier", functionNotFoundText(qualified.path));
  }
  if (fn.kind !== request.kind) {
    throw new RequestError(
      "InvalidFunctionKind",
      `Trying to execute ${fn.path} as ${kindLabel(request.kind)}, but it is defined as ${kindLabel(fn.kind)}.`,
    );
  }
  return fn;
}
