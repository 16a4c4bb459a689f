/**
 * The system queries Convex's CLI asks a deployment for, so that `npx convex function-spec`
 * (with `CONVEX_SELF_HOSTED_URL` and `CONVEX_SELF_HOSTED_ADMIN_KEY`) works against the embedded
 * backend unchanged:
 * - `_system/cli/modules:apiSpec`: every function of the loaded app (identifier `module.js:name`,
 *   `functionType`, `visibility`, `args` and `returns` validators, `{type: "any"}` when undeclared)
 *   and every HTTP route (`{functionType: "HttpAction", method, path}`), as Convex lists them;
 * - `_system/cli/convexUrl:cloudUrl`: the deployment's URL;
 * - `_system/cli/queryEnvironmentVariables` (and `:get` by name): what `npx convex env list|get`
 *   print (`env set|remove` post to `/api/update_environment_variables`, http/admin_routes.ts);
 * - `_system/cli/queryImport` (and `:list`): the state of `npx convex import`'s imports;
 * - `_system/cli/tables` and `_system/cli/tableData`: what `npx convex data` prints (data_queries.ts).
 * They are internal (only an admin key reaches them, as on Convex) and never listed among the
 * app's functions. They read no table, so they run outside the function sandbox.
 */
import { convexToJson, type ValidatorJSON, type Value } from "convex/values";
import type { HttpRouterLike } from "../runtime/http_actions.ts";
import type { FunctionRegistry, RegisteredFunction } from "../runtime/registry.ts";
import type { StoredDocument } from "../storage/types.ts";
import { tableDataPage, tablesPage } from "./data_queries.ts";
import type { SnapshotImports } from "./snapshot_imports.ts";

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

/** A query answered by `answer(args)`; `invoke` takes and gives JSON text, as the registry's. */
function systemQuery(
  path: string,
  args: ValidatorJSON,
  answer: (args: unknown) => unknown,
): RegisteredFunction {
  return {
    path,
    kind: "query",
    visibility: "internal",
    args,
    returns: null,
    invoke: (argsJson) => {
      const [decoded] = JSON.parse(argsJson) as [unknown];
      return Promise.resolve(JSON.stringify(convexToJson(answer(decoded) as Value)));
    },
  };
}

/** What the CLI's system queries read. */
export interface CliSystemSources {
  /** The app's HTTP router (`convex/http.ts`), or null. */
  readonly router: HttpRouterLike | null;
  /** The deployment's URL. */
  readonly url: () => string;
  /** The deployment's environment variables. */
  readonly env: () => ReadonlyMap<string, string>;
  /** `npx convex import`'s imports. */
  readonly imports: SnapshotImports;
  /** Every live document at the latest commit (`npx convex data`). */
  readonly documents: () => Iterable<StoredDocument>;
}

const NAME_ARGS: ValidatorJSON = {
  type: "object",
  value: { name: { fieldType: { type: "string" }, optional: false } },
};

/** `[{name, value}]`, sorted by name, as `npx convex env list` prints them. */
function environmentList(env: ReadonlyMap<string, string>): { name: string; value: string }[] {
  return [...env.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
}

/** True for `_system/cli/queryImport` and `:list`, however spelled: they read no table. */
export function isImportQuery(path: string): boolean {
  return path.startsWith("_system/cli/queryImport");
}

/** Adds the CLI's system queries to `registry`. */
export function addCliSystemFunctions(registry: FunctionRegistry, sources: CliSystemSources): void {
  const componentId: ValidatorJSON = {
    type: "union",
    value: [{ type: "string" }, { type: "null" }],
  };
  const add = (path: string, args: ValidatorJSON, answer: (args: unknown) => unknown): void =>
    registry.addSystem(systemQuery(path, args, answer));
  add(
    "_system/cli/modules:apiSpec",
    { type: "object", value: { componentId: { fieldType: componentId, optional: true } } },
    () => apiSpecOf(registry, sources.router),
  );
  add("_system/cli/convexUrl:cloudUrl", ANY_VALIDATOR, sources.url);
  add("_system/cli/queryEnvironmentVariables:default", ANY_VALIDATOR, () =>
    environmentList(sources.env()),
  );
  add("_system/cli/queryEnvironmentVariables:get", NAME_ARGS, (args) => {
    const name = (args as { name: string }).name;
    const value = sources.env().get(name);
    return value === undefined ? null : { name, value };
  });
  add("_system/cli/tables:default", ANY_VALIDATOR, () => tablesPage(sources.documents()));
  add("_system/cli/tableData:default", ANY_VALIDATOR, (args) =>
    tableDataPage(sources.documents(), args as Parameters<typeof tableDataPage>[1]),
  );
  add("_system/cli/queryImport:list", ANY_VALIDATOR, () => sources.imports.list());
  add("_system/cli/queryImport:default", ANY_VALIDATOR, (args) =>
    sources.imports.stateOf(String((args as { importId?: unknown }).importId)),
  );
}
