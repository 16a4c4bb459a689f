/**
 * The `"use node"` directive: a module whose directive prologue (the string-literal statements
 * at the very top, after comments) holds `"use node"` runs in Node.js, as Convex's CLI decides.
 * Only actions may be defined there; `http`, `crons`, `schema` and `auth.config` may not use it.
 */

/** Module paths that must run in Convex's default runtime, never in Node. */
const ISOLATE_ONLY_MODULES = new Set(["http", "crons", "schema", "auth.config"]);

/** True when `modulePath` (e.g. `http`, `dir/file`) may not carry `"use node"`. */
export function mustBeIsolate(modulePath: string): boolean {
  return ISOLATE_ONLY_MODULES.has(modulePath);
}

/** Skips whitespace and comments from `at`; returns the next significant index. */
function skipTrivia(source: string, at: number): number {
  let i = at;
  for (;;) {
    while (i < source.length && /\s/.test(source[i] as string)) i++;
    if (source.startsWith("//", i)) {
      const end = source.indexOf("\n", i);
      i = end === -1 ? source.length : end + 1;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      i = end === -1 ? source.length : end + 2;
    } else {
      return i;
    }
  }
}

/**
 * Reads the string literals of the directive prologue of a module's source (`"use strict"`,
 * `"use node"`, ...). Stops at the first statement that is not a lone string literal.
 */
export function directivePrologue(source: string): string[] {
  const directives: string[] = [];
  let i = skipTrivia(source, source.charCodeAt(0) === 0xfeff ? 1 : 0);
  while (source[i] === '"' || source[i] === "'") {
    const quote = source[i] as string;
    const end = source.indexOf(quote, i + 1);
    if (end === -1) break;
    const text = source.slice(i + 1, end);
    if (text.includes("\n") || text.includes("\\")) break;
    let next = skipTrivia(source, end + 1);
    if (source[next] === ";") next = skipTrivia(source, next + 1);
    else if (!/[\n\r]/.test(source.slice(end + 1, next)) && next < source.length) break;
    directives.push(text);
    i = next;
  }
  return directives;
}

/** True when the module's source opens with the `"use node"` directive. */
export function hasUseNodeDirective(source: string): boolean {
  return source.includes("use node") && directivePrologue(source).includes("use node");
}
