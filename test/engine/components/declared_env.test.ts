/**
 * The check of variables declared in `convex.config.ts` (engine/components/declared_env.ts), as
 * `export()` lists them: required and optional ones, and values their validator refuses.
 */
import { expect, it } from "vitest";
import { declaredEnvProblems, declaredVariables } from "../../../engine/components/declared_env.ts";

const LITERAL = (value: string) => ({ type: "literal", value });

// As `export()` lists `env: { API_KEY: v.string(), LOG_LEVEL: v.optional(v.union(...)) }`.
const declared = declaredVariables([
  ["API_KEY", { value: JSON.stringify({ type: "string" }) }],
  [
    "LOG_LEVEL",
    {
      value: JSON.stringify({ type: "union", value: [LITERAL("info"), LITERAL("error")] }),
      optional: true,
    },
  ],
]);

it("accepts set required variables and unset optional ones", () => {
  expect(declaredEnvProblems(declared, { API_KEY: "k" }, "app")).toEqual([]);
  expect(declaredEnvProblems(declared, { API_KEY: "k", LOG_LEVEL: "error" }, "app")).toEqual([]);
});

it("names an unset required variable, for an app and for a component", () => {
  expect(declaredEnvProblems(declared, {}, "app")).toEqual([
    "Environment variable API_KEY is declared in convex.config.ts but not set: set it with `convex-graphql env set API_KEY <value>` (or `npx convex env set`), or declare it with v.optional(...).",
  ]);
  expect(declaredEnvProblems(declared, {}, "component")[0]).toContain(
    "Environment variable API_KEY is required by this component but its parent does not pass it",
  );
});

it("names a value its validator refuses", () => {
  const [problem] = declaredEnvProblems(declared, { API_KEY: "k", LOG_LEVEL: "debug" }, "app");
  expect(problem).toContain("Environment variable LOG_LEVEL has a value its declaration refuses:");
  expect(problem).toContain('"debug"');
});
