/**
 * Function addresses as `convex/server` sends them in `ctx.run*` and `createFunctionHandle`
 * syscalls (`getFunctionAddress`), resolved against the calling component:
 * - `{ name: "module:fn" }`: a function of the caller's own component (internal ones included);
 * - `{ reference: "_reference/childComponent/<child>/<module path...>/<fn>" }`: a *public*
 *   function of one of the caller's own children (`components.<child>.<module>.<fn>`); a
 *   component can reach only the children it installed, never its parent or siblings;
 * - `{ functionHandle: "function://<component path>;<module:fn>" }`: the function a handle names
 *   (`createFunctionHandle` made it, so it may be internal).
 */
import { FunctionFailure } from "../errors.ts";
import { functionNotFoundText } from "../convex_messages.ts";
import { canonicalPath } from "../runtime/registry.ts";
import { ComponentSet } from "./component_set.ts";
import { splitQualifiedPath } from "./qualified_path.ts";

/** A function to run: its component, its canonical path, and whether it may be internal. */
export interface FunctionTarget {
  /** `""` for the app. */
  readonly componentPath: string;
  readonly path: string;
  readonly allowInternal: boolean;
}

const CHILD_REFERENCE = "_reference/childComponent/";
const HANDLE_SCHEME = "function://";

/** The handle `createFunctionHandle` returns for `target`. */
export function functionHandleOf(target: Pick<FunctionTarget, "componentPath" | "path">): string {
  return `${HANDLE_SCHEME}${target.componentPath};${target.path}`;
}

function parseHandle(handle: string): FunctionTarget {
  const separator = handle.indexOf(";");
  if (!handle.startsWith(HANDLE_SCHEME) || separator === -1) {
    throw new FunctionFailure(`Invalid function handle: ${JSON.stringify(handle)}`);
  }
  return {
    componentPath: handle.slice(HANDLE_SCHEME.length, separator),
    path: canonicalPath(handle.slice(separator + 1)),
    allowInternal: true,
  };
}

function parseChildReference(callerPath: string, reference: string): FunctionTarget {
  const parts = reference.slice(CHILD_REFERENCE.length).split("/");
  const [child, ...rest] = parts;
  const exportName = rest.pop();
  if (child === undefined || child === "" || exportName === undefined || rest.length === 0) {
    throw new FunctionFailure(
      `${reference} is not a function reference: call a function as components.<name>.<module>.<function>.`,
    );
  }
  return {
    componentPath: ComponentSet.childPath(callerPath, child),
    path: `${rest.join("/")}:${exportName}`,
    allowInternal: false,
  };
}

/**
 * Resolves the address in a syscall's arguments, made by code of component `callerPath`.
 * @throws FunctionFailure when the arguments hold no valid address.
 */
export function resolveFunctionAddress(
  callerPath: string,
  args: Record<string, unknown>,
): FunctionTarget {
  const { name, reference, functionHandle } = args;
  if (typeof functionHandle === "string") return parseHandle(functionHandle);
  if (typeof name === "string") {
    if (name.startsWith(HANDLE_SCHEME)) return parseHandle(name);
    // A name is always the caller's own function: it may not qualify itself into another.
    if (splitQualifiedPath(name).componentPath !== "")
      throw new FunctionFailure(functionNotFoundText(name));
    return { componentPath: callerPath, path: canonicalPath(name), allowInternal: true };
  }
  if (typeof reference === "string" && reference.startsWith(CHILD_REFERENCE)) {
    return parseChildReference(callerPath, reference);
  }
  throw new FunctionFailure(
    `Expected a function reference, got ${JSON.stringify(reference ?? name ?? null)}.`,
  );
}
