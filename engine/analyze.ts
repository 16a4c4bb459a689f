/**
 * Reads what a `convex/` folder declares, without running a backend: every function's path,
 * kind, visibility and validators, and the tables of `schema.ts`. The gateway derives its GraphQL
 * schema from this (like Convex's own codegen reads the same folder).
 */
import path from "node:path";
import type { ValidatorJSON } from "convex/values";
import { bundleConvexDir, type ModuleProblem } from "./runtime/bundler.ts";
import type { FunctionKind } from "./runtime/execution.ts";
import { loadApp, type SchemaInfo } from "./runtime/loader.ts";
import type { Visibility } from "./runtime/registry.ts";

export interface FunctionInfo {
  /** Canonical path, e.g. `orders:getActiveOrders`. */
  readonly path: string;
  readonly kind: FunctionKind;
  readonly visibility: Visibility;
  readonly args: ValidatorJSON;
  readonly returns: ValidatorJSON | null;
  /**
   * Where `returns` comes from: the function's `returns` validator, or the handler's type as
   * TypeScript infers it (describe/). Absent when unknown (plain analysis).
   */
  readonly returnsSource?: "validator" | "inferred";
  /** `"inferred"` when `args` is the type of the handler's parameter (describe/), not declared. */
  readonly argsSource?: "inferred";
}

export interface AppDescription {
  readonly functions: readonly FunctionInfo[];
  readonly schema: SchemaInfo | null;
  readonly problems: readonly ModuleProblem[];
}

const noBackend = {
  syscall(): string {
    throw new Error("Convex functions cannot run while the app is only being analysed.");
  },
  asyncSyscall(): Promise<string> {
    return Promise.reject(
      new Error("Convex functions cannot run while the app is only being analysed."),
    );
  },
  jsSyscall(): unknown {
    throw new Error("Convex functions cannot run while the app is only being analysed.");
  },
};

/**
 * Analyses `DIR/convex`. Module top levels see `env` as `process.env` (the deployment's
 * variables, when known: a module that needs one at load time otherwise fails to load).
 * @throws BundleError / SchemaLoadError when it does not compile.
 */
export async function analyzeConvexApp(
  dir: string,
  options: { env?: Readonly<Record<string, string>> } = {},
): Promise<AppDescription> {
  const bundle = await bundleConvexDir(path.join(dir, "convex"));
  // What loads is described; a module that throws is reported, not fatal, for the schema.
  const app = loadApp(bundle, noBackend, options.env ?? {}, "skip");
  return {
    functions: app.registry.list().map(({ path: fnPath, kind, visibility, args, returns }) => ({
      path: fnPath,
      kind,
      visibility,
      args,
      returns,
    })),
    schema: app.schema,
    problems: app.problems,
  };
}
