/**
 * Recognising a table's documents in a validator, whether declared (`schema.doc("orders")`,
 * `v.object({...})`) or inferred from TypeScript (`Doc<"orders">` is a plain object type): an
 * object whose `_id` is that table's id and whose other fields are exactly the table's fields
 * (besides `_creationTime`) is that table's document.
 */
import type { ValidatorJSON } from "convex/values";
import type { AppSchemaInfo } from "./app_description.ts";

export type ObjectValidator = Extract<ValidatorJSON, { type: "object" }>;

/** The members of a union, nested unions flattened (`v.union(v.union(a, b), c)` is `a | b | c`). */
function unionMembers(validator: ValidatorJSON): ValidatorJSON[] {
  return validator.type === "union" ? validator.value.flatMap(unionMembers) : [validator];
}

/** The validator without `null` (at any depth of nested unions), and whether it accepted `null`. */
export function stripNull(validator: ValidatorJSON): { inner: ValidatorJSON; nullable: boolean } {
  if (validator.type !== "union") return { inner: validator, nullable: validator.type === "null" };
  const all = unionMembers(validator);
  const members = all.filter((member) => member.type !== "null");
  const nullable = members.length !== all.length;
  if (members.length === 1 && members[0] !== undefined) return { inner: members[0], nullable };
  return { inner: { type: "union", value: members }, nullable };
}

/** The table whose document `validator` is exactly, or null. */
export function documentTable(
  validator: ValidatorJSON,
  schema: AppSchemaInfo | null,
): string | null {
  if (validator.type !== "object") return null;
  const id = validator.value["_id"]?.fieldType;
  if (id?.type !== "id") return null;
  const documentType = schema?.tables.get(id.tableName)?.documentType;
  if (documentType?.type !== "object") return null;
  const own = Object.keys(validator.value)
    .filter((key) => key !== "_id" && key !== "_creationTime")
    .sort();
  const table = Object.keys(documentType.value).sort();
  return JSON.stringify(own) === JSON.stringify(table) ? id.tableName : null;
}

/** `v.id("t")`, `v.array(v.id("t"))` (optional or nullable): the table and whether a list. */
export function idReference(validator: ValidatorJSON): { table: string; list: boolean } | null {
  const { inner } = stripNull(validator);
  if (inner.type === "id") return { table: inner.tableName, list: false };
  if (inner.type === "array") {
    const element = stripNull(inner.value).inner;
    if (element.type === "id") return { table: element.tableName, list: true };
  }
  return null;
}
