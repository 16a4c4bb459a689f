/**
 * A contract's relation fields against the data: the id a relation passes must be an id of the
 * table its query takes. The parent's `id` field (a document's `_id` for a reverse relation) is
 * read from the validators found behind the parent type (contract_results.ts), so a relation may
 * use an id field the contract hides.
 */
import { isListType, isNonNullType, type GraphQLOutputType } from "graphql";
import type { ValidatorJSON } from "convex/values";
import type { BoundRelation } from "./contract_bind.ts";
import type { Problems } from "./contract_problems.ts";
import { idReference, stripNull, type ObjectValidator } from "./table_documents.ts";

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
