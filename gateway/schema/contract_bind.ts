/**
 * Binds a contract's fields to Convex functions by their directives: `@convex` on every root
 * field (a Subscription field binds a query; `Mutation` a mutation or an action), `@convexRelation`
 * on object types' fields. Each binding is checked against the app's functions (the function
 * exists, is public, of that kind; the arguments match its args validator; a paginated query's
 * field takes `first`/`after`), then the field gets its resolver and its binding in `extensions`.
 */
import { isObjectType, type GraphQLObjectType, type GraphQLSchema } from "graphql";
import type { FunctionInfo } from "./app_description.ts";
import type { FunctionKind } from "../context.ts";
import { checkArgs } from "./contract_args.ts";
import type { Problems } from "./contract_problems.ts";
import { ConvexDirective, ROOT_BINDING } from "./directives.ts";
import { argsBesidePagination } from "./connection.ts";
import { readsConvex, rootResolver } from "./resolvers.ts";
import { bindRelation } from "./contract_relations.ts";
import {
  directiveValues,
  lookUp,
  paginationArgs,
  type AnyField,
  type BoundField,
  type BoundRelation,
  type ContractBindings,
  type Site,
} from "./contract_site.ts";

const ROOT_KINDS: Readonly<Record<string, readonly FunctionKind[]>> = {
  query: ["query"],
  subscription: ["query"],
  mutation: ["mutation", "action"],
};

function bindRoot(
  field: AnyField,
  operation: "query" | "mutation" | "subscription",
  functions: ReadonlyMap<string, FunctionInfo>,
  site: Site,
): FunctionInfo | null {
  const values = directiveValues(ConvexDirective, site);
  if (values === null) return null;
  const named = Object.entries(values ?? {}).filter(([, path]) => typeof path === "string");
  const [only] = named;
  if (only === undefined || named.length > 1) {
    if (field.name === "_empty" && named.length === 0) return null;
    site.problems.add(
      site.node,
      site.where,
      named.length > 1
        ? "names more than one function in @convex"
        : `is not bound: add @convex(${operation === "mutation" ? "mutation" : "query"}: "module:function")`,
    );
    return null;
  }
  const [kind, path] = only as [FunctionKind, string];
  if (!(ROOT_KINDS[operation] ?? []).includes(kind)) {
    site.problems.add(
      site.node,
      site.where,
      `@convex(${kind}: ...) cannot bind a ${operation} field`,
    );
    return null;
  }
  const fn = lookUp(functions, path, [kind], site);
  if (fn === null) return null;
  const supplied = paginationArgs(field, fn, site);
  const validator = argsBesidePagination(fn.args) ?? fn.args;
  checkArgs(field.args, fn, site.where, site.problems, site.node, { validator, supplied });
  field.resolve = rootResolver(fn, readsConvex(field.type));
  field.extensions = { ...field.extensions, [ROOT_BINDING]: { kind: fn.kind, path: fn.path } };
  return fn;
}

function rootOperations(schema: GraphQLSchema) {
  return new Map<GraphQLObjectType | null | undefined, "query" | "mutation" | "subscription">([
    [schema.getQueryType(), "query"],
    [schema.getMutationType(), "mutation"],
    [schema.getSubscriptionType(), "subscription"],
  ]);
}

/** Binds every field of `schema` that a directive binds; problems go to `problems`. */
export function bindContract(
  schema: GraphQLSchema,
  functions: ReadonlyMap<string, FunctionInfo>,
  problems: Problems,
): ContractBindings {
  const operations = rootOperations(schema);
  const objects = Object.values(schema.getTypeMap()).filter(
    (type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith("__"),
  );
  const relations = new Map<AnyField, BoundRelation>();
  const roots: BoundField[] = [];
  // Relations first: a root field's resolver needs to know whether its selection reaches one.
  for (const parent of objects.filter((type) => !operations.has(type))) {
    for (const field of Object.values(parent.getFields())) {
      const site = { where: `${parent.name}.${field.name}`, node: field.astNode, problems };
      const names = (field.astNode?.directives ?? []).map((directive) => directive.name.value);
      if (names.includes("convex"))
        problems.add(
          field.astNode,
          site.where,
          "@convex binds root fields only; use @convexRelation here",
        );
      if (!names.includes("convexRelation")) continue;
      const bound = bindRelation(field, functions, site);
      if (bound === null) continue;
      const paginated = argsBesidePagination(bound.fn.args) !== null;
      relations.set(field, { parent, field, paginated, ...bound });
    }
  }
  for (const parent of objects) {
    const operation = operations.get(parent);
    if (operation === undefined) continue;
    for (const field of Object.values(parent.getFields())) {
      const site = { where: `${parent.name}.${field.name}`, node: field.astNode, problems };
      if (field.astNode?.directives?.some((directive) => directive.name.value === "convexRelation"))
        problems.add(
          field.astNode,
          site.where,
          "@convexRelation binds object types' fields; a root field takes @convex",
        );
      const fn = bindRoot(field, operation, functions, site);
      if (fn !== null)
        roots.push({ parent, field, fn, paginated: argsBesidePagination(fn.args) !== null });
      else if (field.name === "_empty") field.resolve = () => null;
    }
  }
  return { roots, relations };
}
