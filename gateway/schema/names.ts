/**
 * GraphQL names for Convex things, deterministic and collision-free.
 * - A function `dir/file:fn` becomes the field `dirFileFn` (a default export `file:default`
 *   becomes `file`). If two paths give the same name, the later one in path order gets `_2`, `_3`.
 * - A table `orders` becomes the type `Order` (a naive singular; `Document` is appended on clashes).
 */

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** True when `name` is a valid GraphQL name (and not reserved with `__`). */
export function isGraphQLName(name: string): boolean {
  return GRAPHQL_NAME.test(name) && !name.startsWith("__");
}

function words(text: string): string[] {
  return text.split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0);
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `dir/file:fn` -> `dirFileFn`; `file:default` -> `file`. */
export function fieldNameOf(path: string): string {
  const [modulePath = "", exportName = "default"] = path.split(":");
  const parts = [
    ...modulePath.split("/").flatMap(words),
    ...(exportName === "default" ? [] : words(exportName)),
  ];
  const [first = "fn", ...rest] = parts;
  let name = first.charAt(0).toLowerCase() + first.slice(1) + rest.map(capitalize).join("");
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  return name;
}

/** Assigns each path a unique field name (paths are processed in sorted order). */
export function assignFieldNames(paths: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const path of [...paths].sort()) {
    const base = fieldNameOf(path);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    names.set(path, name);
  }
  return names;
}

/** `fieldName` -> `FieldName`. */
export function pascalCase(name: string): string {
  return words(name).map(capitalize).join("") || "Value";
}

/** `orders` -> `Order`, `categories` -> `Category`, `status` -> `Status`. */
export function tableTypeName(table: string): string {
  const base = pascalCase(table);
  if (base.endsWith("ies") && base.length > 3) return `${base.slice(0, -3)}y`;
  if (base.endsWith("s") && !base.endsWith("ss") && !base.endsWith("us") && base.length > 1)
    return base.slice(0, -1);
  return base;
}
