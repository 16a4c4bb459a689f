/**
 * The system queries Convex's CLI asks a deployment for, so that `npx convex function-spec`
 * (with `CONVEX_SELF_HOSTED_URL` and `CONVEX_SELF_HOSTED_ADMIN_KEY`) works against the embedded
 * backend unchanged:
 * - `_system/cli/modules:apiSpec`: every function of the loaded app (identifier `module.js:name`,
 *   `functionType`, `visibility`, `args` and `returns` validators, `{type: "any"}` when undeclared)
 *   and every HTTP route (`{functionType: "HttpAction", method, path}`), as Convex lists them;
 * - `_system/cli/convexUrl:cloudUrl`: the deployment's URL.
 * They are internal (only an admin key reaches them, as on Convex) and never listed among the
 * app's functions. They read no table, so they run outside the function sandbox.
 */
import type { ValidatorJSON } from "convex/values";
import type { HttpRouterLike } from "../runtime/http_actions.ts";
import type { FunctionRegistry, RegisteredFunction } from "../runtime/registry.ts";

const ANY_VALIDATOR: ValidatorJSON = { type: "any" };

const FUNCTION_TYPES = { query: "Query", mutation: "Mutation", action: "Action" } as const;

/** One entry of Convex's function spec. */
export type ApiSpecEntry =
  | {
      readonly identifier: string;
      readonly functionType: "Query" | "Mutation" | "Action";
      readonly visibility: { readonly kind: "public" | "internal" };
      readonly args: ValidatorJSON;
      readonly returns: ValidatorJSON;
    }
  | { readonly functionType: "HttpAction"; readonly method: string; readonly path: string };

/** What `convex/server`'s HttpRouter lists: `[path, method, handler]`, prefixes as `path*`. */
interface ListableRouter {
  getRoutes?: () => ReadonlyArray<readonly [string, string, unknown]>;
}

/** `orders:place` -> `orders.js:place` (Convex names a function by its module file). */
function identifierOf(path: string): string {
  const colon = path.lastIndexOf(":");
  return `${path.slice(0, colon)}.js${path.slice(colon)}`;
}

/** The function spec of an app: its functions, then its HTTP routes. */
export function apiSpecOf(
  registry: FunctionRegistry,
  router: HttpRouterLike | null,
): ApiSpecEntry[] {
  const functions: ApiSpecEntry[] = registry.list().map((fn) => ({
    identifier: identifierOf(fn.path),
    functionType: FUNCTION_TYPES[fn.kind],
    visibility: { kind: fn.visibility },
    args: fn.args,
    returns: fn.returns ?? ANY_VALIDATOR,
  }));
  const routes = (router as ListableRouter | null)?.getRoutes?.() ?? [];
  const http: ApiSpecEntry[] = routes.map(([path, method]) => ({
    functionType: "HttpAction",
    method,
    path,
  }));
  return [...functions, ...http];
}

function systemQuery(path: string, args: ValidatorJSON, answer: () => unknown): RegisteredFunction {
  return {
    path,
    kind: "query",
    visibility: "internal",
    args,
    returns: null,
    invoke: () => Promise.resolve(JSON.stringify(answer())),
  };
}

/** Adds the CLI's system queries to `registry` (the app's `router`; `url()` is the deployment's). */
export function addCliSystemFunctions(
  registry: FunctionRegistry,
  router: HttpRouterLike | null,
  url: () => string,
): void {
  const componentId: ValidatorJSON = {
    type: "union",
    value: [{ type: "string" }, { type: "null" }],
  };
  registry.addSystem(
    systemQuery(
      "_system/cli/modules:apiSpec",
      { type: "object", value: { componentId: { fieldType: componentId, optional: true } } },
      () => apiSpecOf(registry, router),
    ),
  );
  registry.addSystem(systemQuery("_system/cli/convexUrl:cloudUrl", ANY_VALIDATOR, url));
}
