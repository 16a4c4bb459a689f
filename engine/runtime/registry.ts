/**
 * The function registry: every exported Convex function of every module under its canonical
 * path (`orders:placeOrder`, `dir/file:fn`, `file:default`), with its kind, visibility and
 * validators. Built from the objects the unmodified `convex/server` registration helpers return.
 */
import type { ValidatorJSON } from "convex/values";
import type { FunctionKind } from "./execution.ts";
import type { StackMapper } from "./stack_frames.ts";
import { splitQualifiedPath } from "../components/qualified_path.ts";

export type Visibility = "public" | "internal";

export interface RegisteredFunction {
  /** Canonical path: `module:export` (`default` for a default export). */
  readonly path: string;
  readonly kind: FunctionKind;
  readonly visibility: Visibility;
  /** The args validator (`{type:"any"}` when the function declares none). */
  readonly args: ValidatorJSON;
  /** The returns validator, or null when the function declares none. */
  readonly returns: ValidatorJSON | null;
  /** Calls the function: JSON text of `[args]` in, JSON text of the result out. */
  readonly invoke: (argsJson: string, requestId: string) => Promise<string>;
}

/** The shape `queryGeneric`/`mutationGeneric`/`actionGeneric` give a function object. */
interface ConvexFunctionObject {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  isPublic?: boolean;
  isInternal?: boolean;
  exportArgs?: () => string;
  exportReturns?: () => string;
  invokeQuery?: (argsJson: string) => Promise<string>;
  invokeMutation?: (argsJson: string) => Promise<string>;
  invokeAction?: (requestId: string, argsJson: string) => Promise<string>;
}

/**
 * Turns one module export into a registered function, or returns null if it is not a Convex
 * function (plain helpers and constants are ignored, as Convex does).
 */
export function registerExport(
  modulePath: string,
  exportName: string,
  value: unknown,
): RegisteredFunction | null {
  if (typeof value !== "function" && (typeof value !== "object" || value === null)) return null;
  const fn = value as ConvexFunctionObject;
  const kind: FunctionKind | null = fn.isQuery
    ? "query"
    : fn.isMutation
      ? "mutation"
      : fn.isAction
        ? "action"
        : null;
  if (kind === null) return null;
  const path = `${modulePath}:${exportName}`;
  const args = JSON.parse(fn.exportArgs?.() ?? '{"type":"any"}') as ValidatorJSON;
  const returns = JSON.parse(fn.exportReturns?.() ?? "null") as ValidatorJSON | null;
  let invoke: RegisteredFunction["invoke"];
  switch (kind) {
    case "query": {
      const call = fn.invokeQuery;
      if (call === undefined) return null;
      invoke = (argsJson) => call(argsJson);
      break;
    }
    case "mutation": {
      const call = fn.invokeMutation;
      if (call === undefined) return null;
      invoke = (argsJson) => call(argsJson);
      break;
    }
    case "action": {
      const call = fn.invokeAction;
      if (call === undefined) return null;
      invoke = (argsJson, requestId) => call(requestId, argsJson);
      break;
    }
    default:
      kind satisfies never;
      return null;
  }
  return {
    path,
    kind,
    visibility: fn.isInternal === true ? "internal" : "public",
    args,
    returns,
    invoke,
  };
}

/**
 * Canonicalises a path as clients send it: `dir/file:fn`, `dir/file` (the default export),
 * optionally with a `.js` extension on the module.
 */
export function canonicalPath(path: string): string {
  const colon = path.lastIndexOf(":");
  let modulePath = colon === -1 ? path : path.slice(0, colon);
  const exportName = colon === -1 ? "default" : path.slice(colon + 1);
  if (modulePath.endsWith(".js")) modulePath = modulePath.slice(0, -3);
  return `${modulePath}:${exportName}`;
}

export class FunctionRegistry {
  private readonly functions = new Map<string, RegisteredFunction>();
  /** The deployment's own `_system/...` functions (engine/system/): found, never listed. */
  private readonly system = new Map<string, RegisteredFunction>();

  /**
   * @param stackMapper - maps stack frames of this version's code to its sources (null: errors
   *   are reported without a frame).
   */
  constructor(readonly stackMapper: StackMapper | null = null) {}

  /** The registries of the app's component instances, by component path. */
  private componentRegistry: (componentPath: string) => FunctionRegistry | undefined = () =>
    undefined;

  add(fn: RegisteredFunction): void {
    this.functions.set(fn.path, fn);
  }

  addSystem(fn: RegisteredFunction): void {
    this.system.set(fn.path, fn);
  }

  /** Lets `lookup` resolve qualified paths (`<component path>|<module:fn>`, references.ts). */
  attachComponents(registryOf: (componentPath: string) => FunctionRegistry | undefined): void {
    this.componentRegistry = registryOf;
  }

  /**
   * Looks a function up by any accepted spelling of its path; a qualified path finds a
   * component's function (callers decide who may run it).
   */
  lookup(path: string): RegisteredFunction | undefined {
    const qualified = splitQualifiedPath(path);
    if (qualified.componentPath !== "") {
      return this.componentRegistry(qualified.componentPath)?.lookup(qualified.path);
    }
    const canonical = canonicalPath(path);
    return this.functions.get(canonical) ?? this.system.get(canonical);
  }

  /** Every registered function, sorted by path. */
  list(): RegisteredFunction[] {
    return [...this.functions.values()].sort((a, b) => a.path.localeCompare(b.path));
  }
}
