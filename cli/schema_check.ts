/**
 * `convex-graphql schema --check`: does the app still honour its published contract
 * (`schema.graphql`)? Compared by binding, not by name: the contract is checked against the
 * functions exactly as the gateway checks it before serving it (gateway/schema/contract.ts), so
 * a renamed GraphQL field still bound to its function is no drift, while a bound function that
 * was removed, or whose arguments or result no longer fit the contract's types, is breaking (each
 * shown with the contract's line, `-`). A public function no root field binds is new (a warning,
 * an error with `--strict`), shown as the field the derived schema would give it (`+`).
 */
import { Kind, parse, type GraphQLSchema } from "graphql";
import type { AppDescription, FunctionInfo } from "../gateway/schema/app_description.ts";
import { contractSchema } from "../gateway/schema/contract.ts";
import { ContractError, formatProblem } from "../gateway/schema/contract_problems.ts";
import { ConvexDirective, rootBindingOf } from "../gateway/schema/directives.ts";

export interface SchemaDrift {
  /** Bindings the functions no longer honour, each with the contract's line. */
  readonly breaking: readonly string[];
  /** Public functions the contract does not bind, each with the field they would get. */
  readonly added: readonly string[];
}

/** The functions the contract's root fields bind (`kind:path`), read from its directives. */
function boundFunctions(sdl: string): Set<string> {
  const bound = new Set<string>();
  let document;
  try {
    document = parse(sdl);
  } catch {
    return bound; // the syntax error is reported as breaking
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) {
      const directive = field.directives?.find((node) => node.name.value === ConvexDirective.name);
      for (const argument of directive?.arguments ?? [])
        if (argument.value.kind === Kind.STRING) bound.add(argument.value.value);
    }
  }
  return bound;
}

/** `name(arg: Type): Type @convex(kind: "path")`: the derived root field of `fn`. */
function derivedField(derived: GraphQLSchema, fn: FunctionInfo): string {
  const roots = [derived.getQueryType(), derived.getMutationType()];
  for (const field of roots.flatMap((root) => Object.values(root?.getFields() ?? {}))) {
    if (rootBindingOf(field)?.path !== fn.path) continue;
    const args = field.args.map((arg) => `${arg.name}: ${String(arg.type)}`).join(", ");
    const signature = args === "" ? field.name : `${field.name}(${args})`;
    return `${signature}: ${String(field.type)} @convex(${fn.kind}: "${fn.path}")`;
  }
  return `@convex(${fn.kind}: "${fn.path}")`;
}

/**
 * The drift between the contract `sdl` (from `file`) and the functions of `app`, whose derived
 * schema is `derived`.
 */
export function schemaDrift(
  sdl: string,
  file: string,
  app: AppDescription,
  derived: GraphQLSchema,
): SchemaDrift {
  const breaking: string[] = [];
  try {
    contractSchema(sdl, file, app);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    const lines = sdl.split("\n");
    for (const problem of error.problems) {
      const text = problem.line === null ? undefined : lines[problem.line - 1]?.trim();
      breaking.push(`${formatProblem(file, problem)}${text ? `\n    - ${text}` : ""}`);
    }
  }
  const bound = boundFunctions(sdl);
  const added = app.functions
    .filter((fn) => fn.visibility === "public" && !bound.has(fn.path))
    .map(
      (fn) => `${fn.kind} ${fn.path} is not in the contract\n    + ${derivedField(derived, fn)}`,
    );
  return { breaking, added };
}

/** The report `--check` prints, and whether it fails (`strict`: new functions fail too). */
export function driftReport(drift: SchemaDrift, strict: boolean): { text: string; fails: boolean } {
  const lines = [
    ...drift.breaking.map((line) => `✖ ${line}`),
    ...drift.added.map((line) => `${strict ? "✖" : "⚠"} new: ${line}`),
  ];
  const fails = drift.breaking.length > 0 || (strict && drift.added.length > 0);
  const text = lines.length === 0 ? "✔ the functions match the contract" : lines.join("\n");
  return { text, fails };
}
