/**
 * Qualified function paths. Requests from outside name a component apart from the function
 * (`componentPath` beside `udfPath` in the sync protocol and `/api/function`), and scheduled
 * jobs name the component their function lives in. Wherever one path string travels, the two
 * are folded into a qualified path, `<component path>|<module:fn>`: `|` never appears in a
 * module path. Who may run a qualified path is the executor's decision.
 */

/** Separates the component path from the function path. */
const QUALIFIER = "|";
/** `path` qualified with `componentPath` (unchanged for the app, `""` or absent). */
export function qualifiedPath(componentPath: unknown, path: string): string {
  return typeof componentPath === "string" && componentPath !== ""
    ? `${componentPath}${QUALIFIER}${path}`
    : path;
}

/** Splits a possibly qualified path into its component path and function path. */
export function splitQualifiedPath(path: string): { componentPath: string; path: string } {
  const at = path.indexOf(QUALIFIER);
  return at === -1
    ? { componentPath: "", path }
    : { componentPath: path.slice(0, at), path: path.slice(at + 1) };
}
