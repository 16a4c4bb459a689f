/**
 * Loads a bundled `convex/` folder into a fresh sandbox: evaluates each module on its own (a
 * module that throws refuses the whole version, as Convex refuses the push, with Convex's
 * "Failed to analyze" text naming the module and the first frame in its source), registers
 * every exported function, and reads `schema.ts` and `auth.config.ts`. `"use node"` modules
 * are evaluated in Node.js (node_runtime.ts) and may define actions only, as Convex enforces.
 */
import type { ValidatorJSON } from "convex/values";
import { errorMessageOf } from "../errors.ts";
import type { IndexDefinition } from "../storage/types.ts";
import { BUNDLE_FILE, type Bundle, type ModuleProblem } from "./bundler.ts";
import { authConfigMissingVariableText, failedToAnalyzeText } from "../convex_messages.ts";
import { StackMapper } from "./stack_frames.ts";
import { uncaughtLine } from "./uncaught.ts";
import type { NodeModuleBundle } from "./node_bundler.ts";
import { evaluateNodeModule } from "./node_runtime.ts";
import { FunctionRegistry, registerExport, type RegisteredFunction } from "./registry.ts";
import { Sandbox, type ConvexGlobal } from "./sandbox.ts";
import { httpRouterOf, type HttpRouterLike } from "./http_actions.ts";
import { parseCronsExport, type CronSpec } from "../scheduler/cron_spec.ts";
import {
  parseSearchDefinitions,
  type ExportedSearchTable,
  type SearchDefinitions,
} from "../search/index.ts";

/** A table as declared in `schema.ts`. */
export interface TableSchema {
  readonly name: string;
  readonly indexes: readonly IndexDefinition[];
  /** The document validator, or null when the table accepts any document. */
  readonly documentType: ValidatorJSON | null;
}

export interface SchemaInfo {
  readonly tables: ReadonlyMap<string, TableSchema>;
  /** False when `defineSchema(..., { schemaValidation: false })`. */
  readonly schemaValidation: boolean;
  /** Indexes declared with `staged: true` (`table.index`): accepted, never queryable. */
  readonly stagedIndexes: ReadonlySet<string>;
  /** Search and vector indexes (`.searchIndex`, `.vectorIndex`), staged ones included. */
  readonly search: SearchDefinitions;
}

export interface LoadedApp {
  readonly registry: FunctionRegistry;
  readonly schema: SchemaInfo | null;
  /** The default export of `auth.config.ts`, if any. */
  readonly authConfig: unknown;
  /** The variables `auth.config.ts` read from `process.env` that were not set, in order. */
  readonly authConfigUnsetVariables: readonly string[];
  /** The `httpRouter()` default export of `http.ts`, if any (HTTP actions). */
  readonly httpRouter: HttpRouterLike | null;
  /** The cron jobs of `crons.ts` by name (empty without one, or when it is invalid). */
  readonly crons: ReadonlyMap<string, CronSpec>;
  readonly problems: readonly ModuleProblem[];
}

interface SchemaExport {
  tables: (ExportedSearchTable & {
    tableName: string;
    indexes: { indexDescriptor: string; fields: string[] }[];
    stagedDbIndexes?: { indexDescriptor: string; fields: string[] }[];
    documentType: ValidatorJSON | null;
  })[];
  schemaValidation: boolean;
}

const RESERVED_INDEX_NAMES = new Set(["by_id", "by_creation_time"]);

/** Parses `defineSchema(...).export()`. @throws with a clear message on an invalid schema. */
export function parseSchema(exported: string): SchemaInfo {
  const parsed = JSON.parse(exported) as SchemaExport;
  const tables = new Map<string, TableSchema>();
  const stagedIndexes = new Set<string>();
  for (const table of parsed.tables) {
    for (const staged of table.stagedDbIndexes ?? []) {
      stagedIndexes.add(`${table.tableName}.${staged.indexDescriptor}`);
    }
    const indexes: IndexDefinition[] = [];
    for (const index of table.indexes) {
      if (
        RESERVED_INDEX_NAMES.has(index.indexDescriptor) ||
        index.indexDescriptor.startsWith("_")
      ) {
        throw new Error(
          `Index name "${index.indexDescriptor}" on table "${table.tableName}" is reserved.`,
        );
      }
      indexes.push({ name: `${table.tableName}.${index.indexDescriptor}`, fields: index.fields });
    }
    const documentType =
      table.documentType === null || table.documentType.type === "any" ? null : table.documentType;
    tables.set(table.tableName, { name: table.tableName, indexes, documentType });
  }
  const search = parseSearchDefinitions(parsed.tables);
  return { tables, schemaValidation: parsed.schemaValidation, stagedIndexes, search };
}

/**
 * Evaluates `bundle` in a new sandbox and builds the registry.
 * @param onModuleError - "refuse" (the backend, as Convex refuses a push): a module that throws
 *   while loading fails the whole version with a SchemaLoadError; "skip" (analysing the app for
 *   the gateway's schema): it is reported in `problems` and the rest is described.
 */
export function loadApp(
  bundle: Bundle,
  convex: ConvexGlobal,
  env: Readonly<Record<string, string>>,
  onModuleError: "refuse" | "skip" = "refuse",
): LoadedApp {
  const problems: ModuleProblem[] = [...bundle.problems];
  const sandbox = new Sandbox(convex, env);
  const thunks = sandbox.evaluateCommonJs(bundle.code, BUNDLE_FILE) as ModuleThunks;
  const mapper = new StackMapper(BUNDLE_FILE, bundle.sourceMap);
  const registry = new FunctionRegistry(mapper);
  const analyze = (
    modulePath: string,
    file: string,
    reasonOf: (error: unknown) => string | null = () => null,
  ): Record<string, unknown> | undefined => {
    try {
      return thunks[modulePath]?.();
    } catch (error) {
      // Convex refuses the whole push when a module throws while it is analysed.
      problems.push({
        file: `convex/${file}`,
        reason:
          reasonOf(error) ?? failedToAnalyzeText(`${modulePath}.js`, uncaughtLine(error, mapper)),
      });
      if (onModuleError === "skip") return undefined;
      throw new SchemaLoadError(problems);
    }
  };
  let httpRouter: HttpRouterLike | null = null;
  let crons: ReadonlyMap<string, CronSpec> = new Map();
  for (const modulePath of bundle.modulePaths) {
    const file = bundle.moduleFiles.get(modulePath) ?? modulePath;
    const exports = analyze(modulePath, file);
    if (exports === undefined) continue;
    for (const [exportName, value] of Object.entries(exports)) {
      const fn = registerExport(modulePath, exportName, value);
      if (fn !== null) registry.add(fn);
    }
    if (modulePath === "http") httpRouter = httpRouterExport(exports, problems);
    if (modulePath === "crons")
      crons = cronsExport(
        exports,
        `convex/${bundle.moduleFiles.get(modulePath) ?? "crons.ts"}`,
        problems,
      );
  }
  addNodeModules(bundle, { convex, env, registry, problems, onModuleError });
  const schema = bundle.hasSchema ? schemaExport(thunks, problems) : null;
  const authConfigUnsetVariables: string[] = [];
  const authConfig = bundle.hasAuthConfig
    ? sandbox.recordingUnsetEnv(
        () =>
          analyze("auth.config", "auth.config.ts", () => {
            const [unset] = authConfigUnsetVariables;
            return unset === undefined ? null : authConfigMissingVariableText(unset);
          })?.["default"],
        (name) => authConfigUnsetVariables.push(name),
      )
    : undefined;
  return { registry, schema, authConfig, authConfigUnsetVariables, httpRouter, crons, problems };
}

/** Per module path of the bundle: evaluates the module (once) and returns its exports. */
type ModuleThunks = Record<string, () => Record<string, unknown>>;

/** The router `convex/http.ts` exports by default; null (and a problem) when it is not one. */
function httpRouterExport(
  exports: Record<string, unknown>,
  problems: ModuleProblem[],
): HttpRouterLike | null {
  const router = httpRouterOf(exports["default"]);
  if (router === null) {
    problems.push({
      file: "convex/http.ts",
      reason: "its default export is not an HttpRouter: export default httpRouter() from it.",
    });
  }
  return router;
}

/** The cron jobs `convex/crons.ts` exports by default; none (and a problem) when unreadable. */
function cronsExport(
  exports: Record<string, unknown>,
  file: string,
  problems: ModuleProblem[],
): ReadonlyMap<string, CronSpec> {
  try {
    return parseCronsExport(exports["default"]);
  } catch (error) {
    problems.push({ file, reason: errorMessageOf(error) });
    return new Map();
  }
}

/**
 * The schema `convex/schema.ts` defines.
 * @throws SchemaLoadError when it cannot be read (Convex refuses such a push).
 */
function schemaExport(thunks: ModuleThunks, problems: ModuleProblem[]): SchemaInfo {
  try {
    const exports = thunks["schema"]?.();
    const definition = exports?.["default"] as { export?: () => string } | undefined;
    if (definition?.export === undefined)
      throw new Error("schema.ts has no default export from defineSchema()");
    return parseSchema(definition.export());
  } catch (error) {
    problems.push({ file: "convex/schema.ts", reason: errorMessageOf(error) });
    throw new SchemaLoadError(problems);
  }
}

/** Where the `"use node"` modules' functions go, and how their failures count. */
interface NodeModuleLoad {
  readonly convex: ConvexGlobal;
  readonly env: Readonly<Record<string, string>>;
  readonly registry: FunctionRegistry;
  readonly problems: ModuleProblem[];
  readonly onModuleError: "refuse" | "skip";
}

/**
 * Registers the functions of every `"use node"` module; one that fails is a problem, and fails
 * the whole version when it is fatal and problems are refused.
 */
function addNodeModules(bundle: Bundle, load: NodeModuleLoad): void {
  for (const nodeModule of bundle.nodeModules) {
    const loaded = loadNodeModule(nodeModule, load.convex, load.env);
    if (!("reason" in loaded)) {
      for (const fn of loaded) load.registry.add(fn);
      continue;
    }
    load.problems.push({ file: loaded.file, reason: loaded.reason });
    if (loaded.fatal === true && load.onModuleError === "refuse")
      throw new SchemaLoadError(load.problems);
  }
}

const KIND_NAMES = { query: "Query", mutation: "Mutation", action: "Action" } as const;

/**
 * Evaluates one `"use node"` module and registers its functions; a module that throws, or that
 * defines a query or mutation (Convex refuses those at push), is reported instead.
 */
function loadNodeModule(
  nodeModule: NodeModuleBundle,
  convex: ConvexGlobal,
  env: Readonly<Record<string, string>>,
): RegisteredFunction[] | (ModuleProblem & { fatal?: true }) {
  const file = `convex/${nodeModule.file}`;
  let exports: Record<string, unknown>;
  try {
    exports = evaluateNodeModule(nodeModule, convex, env);
  } catch (error) {
    const reason = failedToAnalyzeText(`${nodeModule.modulePath}.js`, uncaughtLine(error, null));
    return { file, reason, fatal: true };
  }
  const functions: RegisteredFunction[] = [];
  for (const [exportName, value] of Object.entries(exports)) {
    const fn = registerExport(nodeModule.modulePath, exportName, value);
    if (fn === null) continue;
    if (fn.kind !== "action") {
      return {
        file,
        reason: `\`${exportName}\` defined in \`${nodeModule.modulePath}.js\` is a ${KIND_NAMES[fn.kind]} function. Only actions can be defined in Node.js. See https://docs.convex.dev/functions/actions for more details.`,
      };
    }
    functions.push(fn);
  }
  return functions;
}

/**
 * A version that cannot be used (an invalid schema, a module or `auth.config.ts` that throws
 * while loading): the app is not loaded, the previous version keeps serving.
 */
export class SchemaLoadError extends Error {
  constructor(readonly problems: readonly ModuleProblem[]) {
    super(problems.map((problem) => `${problem.file}: ${problem.reason}`).join("\n"));
    this.name = "SchemaLoadError";
  }
}
