/**
 * Which modules run in Node.js: the `"use node"` directive counts only in the directive
 * prologue (string statements at the top, after comments), as Convex's CLI reads it.
 */
import { describe, expect, it } from "vitest";
import { directivePrologue, hasUseNodeDirective } from "../../../engine/runtime/use_node.ts";

describe("the use node directive", () => {
  it("is found at the top, with either quote, with or without a semicolon, after comments", () => {
    expect(hasUseNodeDirective('"use node";\nimport x from "y";')).toBe(true);
    expect(hasUseNodeDirective("'use node'\nexport const a = 1;")).toBe(true);
    expect(hasUseNodeDirective('// a module\n/* that\n runs in node */\n"use node";')).toBe(true);
    expect(hasUseNodeDirective('\uFEFF"use node";')).toBe(true);
  });

  it("is found after other directives", () => {
    expect(directivePrologue('"use strict";\n"use node";\nconst a = 1;')).toEqual([
      "use strict",
      "use node",
    ]);
    expect(hasUseNodeDirective('"use strict"\n"use node"\n')).toBe(true);
  });

  it("does not count after the first statement, inside an expression, or in a comment", () => {
    expect(hasUseNodeDirective('import x from "y";\n"use node";')).toBe(false);
    expect(hasUseNodeDirective('"use node" + suffix;')).toBe(false);
    expect(hasUseNodeDirective('// "use node";\nexport {};')).toBe(false);
    expect(hasUseNodeDirective('const s = "use node";')).toBe(false);
    expect(hasUseNodeDirective('"use nodes";')).toBe(false);
  });
});
