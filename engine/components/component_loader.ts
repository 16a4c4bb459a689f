/**
 * Loads the components an app installs in `convex/convex.config.ts`: walks the tree of
 * `app.use()` calls (components of components included), bundles each definition folder once
 * (an npm package's `dist/component/`, or a local folder), and evaluates it per instance in a
 * realm of its own, with only the environment variables its parent passed (`env` option) and
 * Convex's system variables (`CONVEX_CLOUD_URL`, `CONVEX_SITE_URL`), as Convex isolates
 * components. Tables, indexes and `v.id` validators get stored names. A child installed with
 * `httpPrefix` has its HTTP routes mounted there; variables a definition declares are checked.
 */
import path from "node:path";
import { declaredEnvProblems } from "./declared_env.ts";
import type { ModuleProblem } from "../runtime/bundler.ts";
import { bundleConvexDir, type Bundle } from "../runtime/bundler.ts";
import { loadApp, type SchemaInfo, type TableSchema } from "../runtime/loader.ts";
import { FunctionRegistry } from "../runtime/registry.ts";
import type { ConvexGlobal } from "../runtime/sandbox.ts";
import { errorMessageOf } from "../errors.ts";
import { ComponentSet, type ComponentInstance } from "./component_set.ts";
import {
  DefinitionError,
  DefinitionReader,
  definitionFileOf,
  type ChildUse,
} from "./definition.ts";
import { namespaceValidator, storedIndexName, storedTableName } from "./namespace.ts";

/** At most this many component instances per app (a runaway tree is refused). */
export const MAX_COMPONENT_INSTANCES = 100;

/** A component tree that cannot load; `problems` name each file, as the loader's do. */
export class ComponentLoadError extends Error {
  constructor(readonly problems: readonly ModuleProblem[]) {
    super(problems.map((problem) => `${problem.file}: ${problem.reason}`).join("\n"));
    this.name = "ComponentLoadError";
  }
}

/** Refuses the version when the declared variables are not satisfied. */
function checkDeclaredEnv(file: string, problems: readonly string[]): void {
  if (problems.length > 0)
    throw new ComponentLoadError(problems.map((reason) => ({ file, reason })));
}

function refuse(file: string, reason: string): never {
  throw new ComponentLoadError([{ file, reason }]);
}

/** A component's schema with stored names. */
export function namespaceSchema(schema: SchemaInfo, componentPath: string): SchemaInfo {
  const tables = new Map<string, TableSchema>();
  for (const table of schema.tables.values()) {
    const name = storedTableName(componentPath, table.name);
    tables.set(name, {
      name,
      indexes: table.indexes.map((index) => ({
        ...index,
        name: storedIndexName(componentPath, index.name),
      })),
      documentType:
        table.documentType === null ? null : namespaceValidator(table.documentType, componentPath),
    });
  }
  const stagedIndexes = new Set(
    [...schema.stagedIndexes].map((index) => storedIndexName(componentPath, index)),
  );
  // A component's search indexes are not served yet (the README says so): only the app's are built.
  const search = { text: [], vector: [] };
  return { tables, schemaValidation: schema.schemaValidation, stagedIndexes, search };
}

/** A component's functions with `v.id` validators naming stored tables. */
function namespaceRegistry(registry: FunctionRegistry, componentPath: string): FunctionRegistry {
  const result = new FunctionRegistry(registry.stackMapper);
  for (const fn of registry.list()) {
    result.add({
      ...fn,
      args: namespaceValidator(fn.args, componentPath),
      returns: fn.returns === null ? null : namespaceValidator(fn.returns, componentPath),
    });
  }
  return result;
}

/**
 * Convex's system variables, which every function sees, components' included: Convex Auth's
 * core component names its tokens' issuer with `CONVEX_CLOUD_URL`.
 */
const SYSTEM_VARIABLES = ["CONVEX_CLOUD_URL", "CONVEX_SITE_URL"];

/** The system variables of `appEnv`. */
function systemEnvironment(appEnv: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of SYSTEM_VARIABLES) {
    const value = appEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * The environment a child sees: the system variables, then its `env` option, references
 * resolved in the parent's.
 */
function childEnvironment(
  use: ChildUse,
  parentEnv: Readonly<Record<string, string>>,
  system: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = { ...system };
  for (const [key, arg] of use.env) {
    const value = "value" in arg ? arg.value : parentEnv[arg.envVar];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

interface Pending {
  readonly parent: string;
  readonly parentEnv: Readonly<Record<string, string>>;
  /** Where the parent's HTTP routes are served (`/` for the app), or null. */
  readonly parentMount: string | null;
  readonly use: ChildUse;
}

/** Where a child's HTTP routes are served: its `httpPrefix` under its parent's mount, or null. */
function childMount(parentMount: string | null, prefix: string | null): string | null {
  if (parentMount === null || prefix === null) return null;
  return `${parentMount}${prefix.slice(1)}`;
}

/**
 * A mounted component's `CONVEX_SITE_URL`: the site URL with its mount applied, as Convex
 * presents it (Convex Auth's OAuth components build their callback URL from it).
 */
function mountedEnvironment(
  env: Record<string, string>,
  mount: string | null,
): Record<string, string> {
  const site = env["CONVEX_SITE_URL"];
  if (mount === null || site === undefined) return env;
  return { ...env, CONVEX_SITE_URL: `${site.replace(/\/+$/, "")}${mount.replace(/\/$/, "")}` };
}

/**
 * Loads every component `DIR/convex/convex.config.*` installs (none without that file).
 * @throws ComponentLoadError naming the definition or module that stops the tree from loading.
 */
export async function loadComponents(
  convexDir: string,
  convex: ConvexGlobal,
  appEnv: Readonly<Record<string, string>>,
): Promise<ComponentSet> {
  const rootFile = definitionFileOf(convexDir);
  if (rootFile === null) return new ComponentSet();
  const reader = new DefinitionReader(convex);
  const read = async (file: string) => {
    try {
      return await reader.read(file);
    } catch (error) {
      const where = error instanceof DefinitionError ? error.file : file;
      return refuse(where, errorMessageOf(error));
    }
  };
  const root = await read(rootFile);
  checkDeclaredEnv(rootFile, declaredEnvProblems(root.env, appEnv, "app"));
  const bundles = new Map<string, Promise<Bundle>>();
  const instances: ComponentInstance[] = [];
  const queue: Pending[] = root.children.map((use) => ({
    parent: "",
    parentEnv: appEnv,
    parentMount: "/",
    use,
  }));
  const system = systemEnvironment(appEnv);
  checkUniqueNames(rootFile, root.children);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const instancePath = ComponentSet.childPath(next.parent, next.use.name);
    if (instances.length >= MAX_COMPONENT_INSTANCES) {
      refuse(rootFile, `More than ${MAX_COMPONENT_INSTANCES} component instances are installed.`);
    }
    const dir = next.use.definitionDir;
    const file = definitionFileOf(dir) ?? refuse(dir, "no convex.config.ts or convex.config.js");
    const definition = await read(file);
    checkUniqueNames(file, definition.children);
    let bundle = bundles.get(dir);
    if (bundle === undefined) {
      bundle = bundleConvexDir(dir);
      bundles.set(dir, bundle);
    }
    const env = childEnvironment(next.use, next.parentEnv, system);
    checkDeclaredEnv(file, declaredEnvProblems(definition.env, env, "component"));
    const mount = childMount(next.parentMount, next.use.httpPrefix);
    const loaded = await bundle.catch(rethrowIn(dir));
    instances.push(
      loadInstance(instancePath, dir, loaded, convex, mountedEnvironment(env, mount), mount),
    );
    for (const use of definition.children) {
      queue.push({ parent: instancePath, parentEnv: env, parentMount: mount, use });
    }
  }
  return new ComponentSet(instances);
}

/** Instance names join into paths with `/` and qualify functions with `|`: identifiers only. */
const VALID_NAME = /^[A-Za-z0-9_]+$/;

function checkUniqueNames(file: string, children: readonly ChildUse[]): void {
  const seen = new Set<string>();
  for (const child of children) {
    if (!VALID_NAME.test(child.name)) {
      refuse(
        file,
        `Component name ${JSON.stringify(child.name)} is invalid: names may only contain letters, numbers and underscores.`,
      );
    }
    if (seen.has(child.name)) {
      refuse(
        file,
        `Component name "${child.name}" is used more than once: give each use() a name.`,
      );
    }
    seen.add(child.name);
  }
}

/**
 * Rethrows a component's load failure with its files named by path: the loader names them
 * `convex/<file>` and esbuild relative to the folder's parent, as for the app's `convex/`.
 */
function rethrowIn(dir: string): (error: unknown) => never {
  return (error) => {
    const problems = (error as { problems?: ModuleProblem[] }).problems;
    if (problems === undefined) {
      throw new ComponentLoadError([{ file: dir, reason: errorMessageOf(error) }]);
    }
    const located = problems.map((problem) => ({
      ...problem,
      file: problem.file.startsWith("convex/")
        ? path.join(dir, problem.file.slice("convex/".length))
        : path.join(path.dirname(dir), problem.file),
    }));
    throw new ComponentLoadError(located);
  };
}

function loadInstance(
  instancePath: string,
  definitionDir: string,
  bundle: Bundle,
  convex: ConvexGlobal,
  env: Readonly<Record<string, string>>,
  httpMount: string | null,
): ComponentInstance {
  let loaded: ReturnType<typeof loadApp>;
  try {
    loaded = loadApp(bundle, convex, env);
  } catch (error) {
    return rethrowIn(definitionDir)(error);
  }
  return {
    path: instancePath,
    definitionDir,
    registry: namespaceRegistry(loaded.registry, instancePath),
    schema: loaded.schema === null ? null : namespaceSchema(loaded.schema, instancePath),
    crons: loaded.crons,
    httpRouter: loaded.httpRouter,
    httpMount,
  };
}
