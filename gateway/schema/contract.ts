/**
 * A curated contract served as the schema: the SDL of `schema.graphql` (or `--schema FILE`),
 * whose fields are bound to Convex functions by `@convex` / `@convexRelation` (directives.ts),
 * checked against the app's functions (app_description.ts) before anything is served. Fields may
 * be renamed (the directive keeps the binding), hidden (left out), documented, narrowed (a `JSON`
 * result typed by hand) and related by hand, reverse relations included. Everything the gateway
 * cannot honour is refused at once, every problem with its file, line and field
 * (contract_problems.ts).
 */
import { specifiedDirectives, GraphQLSchema } from "graphql";
import type { AppDescription, FunctionInfo } from "./app_description.ts";
import { LiveDirective } from "./derive.ts";
import { bindContract } from "./contract_bind.ts";
import { Problems } from "./contract_problems.ts";
import { checkRelationTables } from "./contract_relations.ts";
import { objectFields, ResultCheck } from "./contract_results.ts";
import { schemaOfContract } from "./contract_sdl.ts";

/**
 * The executable schema of the contract `sdl` (read from `file`, named in errors) over `app`.
 * @throws ContractError listing every problem found
 */
export function contractSchema(sdl: string, file: string, app: AppDescription): GraphQLSchema {
  const problems = new Problems(file);
  const built = schemaOfContract(sdl, problems);
  if (built === null) {
    problems.throwIfAny();
    throw new Error("unreachable: an invalid contract without problems");
  }
  const functions = new Map<string, FunctionInfo>(app.functions.map((fn) => [fn.path, fn]));
  const bindings = bindContract(built, functions, problems);
  const results = new ResultCheck(bindings, app.schema, problems);
  for (const root of bindings.roots)
    results.field(
      root.field,
      root.fn.returns,
      `${root.parent.name}.${root.field.name}`,
      root.paginated,
    );
  checkRelationTables(
    bindings.relations.values(),
    results.backing,
    (validator) => objectFields(validator, app.schema),
    problems,
  );
  problems.throwIfAny();
  // The binding directives are the contract's, not the API's: introspection does not list them.
  return new GraphQLSchema({
    ...built.toConfig(),
    directives: [...specifiedDirectives, LiveDirective],
  });
}
