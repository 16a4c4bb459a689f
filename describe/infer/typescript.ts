/**
 * The `typescript` module, loaded with `require`. An ESM `import` of its 9 MB CommonJS file makes
 * Node scan the whole source for export names (cjs-module-lexer) and, under tsx's loader, costs
 * 2-3 s of a cold inference; `require` costs about 0.5 s. Types come from
 * `import type * as TS from "typescript"` (erased, loads nothing).
 */
import { createRequire } from "node:module";
import type * as TS from "typescript";

export const ts = createRequire(import.meta.url)("typescript") as typeof TS;
