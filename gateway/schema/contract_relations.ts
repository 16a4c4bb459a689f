/**
 * A contract's relation fields (`@convexRelation`): bound to their query (which must take an id
 * argument: `arg`, else its only one), and checked against the data: the id a relation passes
 * must be an id of the table its query takes. The parent's `id` field (a document's `_id` for a
 * reverse relation) is read from the validators found behind the parent type
 * (contract_results.ts), so a relation may use an id field the contract hides.
 */
import { isListType, isNonNullType, type GraphQLOutputType } from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { FunctionInfo } from "./app_description.ts";
import { checkArgs } from "./contract_args.ts";
import type { Problems } from "./contract_problems.ts";
import {
  directiveValues,
  lookUp,
  paginationArgs,
  type AnyField,
  type BoundRelation,
  type Site,
} from "./contract_site.ts";
import { ConvexRelationDirective, RELATION_BINDING, type RelationBinding } from "./directives.ts";
import { argsBesidePagination } from "./connection.ts";
import { READS_CONVEX, relationResolver } from "./resolvers.ts";
import { idReference, stripNull, type ObjectValidator } from "./table_documents.ts";

/** The query's argument a relation passes its id as: `arg`, else its one id argument. */
function relationArg(fn: FunctionInfo, arg: string | undefined, site: Site): string | null {
  const entries = fn.args.type === "object" ? Object.entries(fn.args.value) : [];
  const ids = entries.filter(([, spec]) => stripNull(spec.fieldType).inner.type === "id");
  const chosen = arg ?? (ids.length === 1 ? ids[0]?.[0] : undefined);
  if (chosen !== undefined && ids.some(([name]) => name === chosen)) return chosen;
  site.problems.add(
    site.node,
    site.where,
    arg === undefined
      ? `${fn.path} does not take exactly one id argument: name the one to pass with \`arg\``
      : `${fn.path} takes no id argument "${arg}"`,
  );
  return null;
}

/** Binds a relation field, or null (with the problem reported). */
export function bindRelation(
  field: AnyField,
  functions: ReadonlyMap<string, FunctionInfo>,
  site: Site,
) {
  const values = directiveValues(ConvexRelationDirective, site);
  if (values === undefined || values === null) return null;
  const fn = lookUp(functions, String(values["query"]), ["query"], site);
  if (fn === null) return null;
  const arg = relationArg(fn, values["arg"] as string | undefined, site);
  if (arg === null) return null;
  const supplied = [arg, ...paginationArgs(field, fn, site)];
  const validator = argsBesidePagination(fn.args) ?? fn.args;
  checkArgs(field.args, fn, site.where, site.problems, site.node, { validator, supplied });
  const binding: RelationBinding = {
    query: fn.path,
    id: (values["id"] as string | undefined) ?? "_id",
    arg,
  };
  field.resolve = relationResolver(binding, fn);
  field.extensions = { ...field.extensions, [READS_CONVEX]: true, [RELATION_BINDING]: binding };
  return { fn, binding };
}

/** What a relation field resolves to: the query's result, one per id for a list of ids. */
export function relationResultType(
  relation: BoundRelation,
  fieldType: GraphQLOutputType,
): ValidatorJSON | null {
  const returns = relation.fn.returns;
  if (returns === null || relation.paginated) return returns;
  const nullable = isNonNullType(fieldType) ? fieldType.ofType : fieldType;
  if (isListType(nullable) && stripNull(returns).inner.type !== "array")
    return { type: "array", value: returns };
  return returns;
}

/** The table whose id the relation's query takes as its `arg`. */
function argTable(relation: BoundRelation): string | null {
  const { fn, binding } = relation;
  const spec = fn.args.type === "object" ? fn.args.value[binding.arg] : undefined;
  const inner = spec === undefined ? null : stripNull(spec.fieldType).inner;
  return inner?.type === "id" ? inner.tableName : null;
}

/** Refuses relations whose parent's id is not an id of the table the query takes. */
export function checkRelationTables(
  relations: Iterable<BoundRelation>,
  backing: ReadonlyMap<unknown, readonly ObjectValidator[]>,
  fieldsOf: (validator: ObjectValidator) => ObjectValidator["value"],
  problems: Problems,
): void {
  for (const relation of relations) {
    const { parent, field, binding, fn } = relation;
    const where = `${parent.name}.${field.name}`;
    const table = argTable(relation);
    for (const validator of backing.get(parent) ?? []) {
      const idField = fieldsOf(validator)[binding.id];
      if (idField === undefined) {
        problems.add(
          field.astNode,
          where,
          `the result behind ${parent.name} has no field "${binding.id}" to pass to ${fn.path}`,
        );
        continue;
      }
      const reference = idReference(idField.fieldType);
      if (reference === null || reference.table !== table)
        problems.add(
          field.astNode,
          where,
          `${fn.path} takes "${binding.arg}" as an id of "${table}", but ${parent.name}.${binding.id} is ${
            reference === null ? "not an id" : `an id of "${reference.table}"`
          }`,
        );
    }
  }
}
