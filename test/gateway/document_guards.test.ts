/**
 * The document guards as pure functions, step by step: the text scan before parsing, the parse
 * within the token limit, and the operation limits with memoised fragments.
 */
import { GraphQLError, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { guardedParse } from "../../gateway/documents.ts";
import { checkOperationLimits } from "../../gateway/limits.ts";
import { DEFAULT_SOURCE_LIMITS, scanSource } from "../../gateway/source_scan.ts";
import { fragmentChain, nestedSelections } from "../utils/hostile_documents.ts";

/** The message `run` throws (a GraphQLError), or null. */
function refusal(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return (error as GraphQLError).message;
  }
}

describe("scanSource", () => {
  it("counts brackets outside strings, block strings and comments only", () => {
    const deep = "[".repeat(200);
    // 200 brackets inside a string, a block string (with an escaped triple quote) and a comment.
    const hidden = `{ a(x: "${deep}", y: """${deep} \\""" ${deep}""") # ${deep}\n }`;
    expect(refusal(() => scanSource(hidden))).toBeNull();
    expect(refusal(() => scanSource(`{ a(x: ${deep}) }`))).toBe(
      "Document is nested too deeply: more than 128 levels of brackets.",
    );
  });

  it("allows 128 levels and refuses the 129th", () => {
    expect(refusal(() => scanSource(nestedSelections(127)))).toBeNull(); // 128 with the outer brace
    expect(refusal(() => scanSource(nestedSelections(128)))).not.toBeNull();
  });

  it("refuses the 101st directive", () => {
    const directives = (n: number) => `{ a${" @skip(if: false)".repeat(n)} }`;
    expect(refusal(() => scanSource(directives(100)))).toBeNull();
    expect(refusal(() => scanSource(directives(101)))).toBe(
      "Document has too many directives: more than 100.",
    );
  });

  it("counts no more tokens than the lexer, and stops where the parser's limit stops", () => {
    const source = `query Q($v: JSON!) { a: f(x: [1, -2.5e3, "s"], y: $v) @include(if: true) { ...F } }`;
    const { tokens } = scanSource(source);
    expect(tokens).toBeGreaterThan(10);
    // The lexer finds at least as many: a parse limited to one fewer aborts.
    expect(() => parse(source, { maxTokens: tokens - 1 })).toThrow(/more that/);
    // 15,000 tokens, then nesting deep enough to overflow the parser's stack: the scan stops
    // before the nesting, and the parser stops at its token limit, before recursing that deep.
    const flood = `{ ${"a ".repeat(15_001)}${"b { ".repeat(50_000)}c${" }".repeat(50_000)} }`;
    expect(refusal(() => scanSource(flood, DEFAULT_SOURCE_LIMITS))).toBeNull();
    expect(refusal(() => guardedParse(flood))).toBe(
      "Syntax Error: Document contains more that 15000 tokens. Parsing aborted.",
    );
  });
});

describe("checkOperationLimits", () => {
  it("measures each fragment once: a chain of cost 2^500 in linear time", () => {
    const document = parse(fragmentChain(499));
    const started = performance.now();
    const errors = checkOperationLimits(document, {
      maxDepth: 12,
      maxCost: 1_000,
      maxFragments: 500,
    });
    expect(performance.now() - started).toBeLessThan(1_000); // naively: longer than the universe
    expect(errors.map((error) => error.message)).toEqual([
      `Operation is too costly: it selects ${2 ** 499} fields, over the limit of 1000.`,
    ]);
  });

  it("counts depth through fragments and inline fragments, and ignores fragment cycles", () => {
    const document = parse(`
      query { a { ...F } }
      fragment F on T { b { ... on T { c { ...G } } } }
      fragment G on T { d ...F }
    `);
    const errors = checkOperationLimits(document, { maxDepth: 3, maxCost: 100, maxFragments: 10 });
    expect(errors.map((error) => error.message)).toEqual([
      "Operation is too deep: depth 4 exceeds the limit of 3.",
    ]);
  });

  it("refuses more fragment definitions than allowed before measuring anything", () => {
    const document = parse(`query { a } ${"fragment F on T { a } ".repeat(3)}`);
    const errors = checkOperationLimits(document, {
      maxDepth: 12,
      maxCost: 1_000,
      maxFragments: 2,
    });
    expect(errors.map((error) => error.extensions["code"])).toEqual(["QUERY_TOO_COMPLEX"]);
  });
});
