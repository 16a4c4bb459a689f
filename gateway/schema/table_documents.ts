/**
 * Recognising a table's documents in a validator, whether declared (`schema.doc("orders")`,
 * `v.object({...})`) or inferred from TypeScript (`Doc<"orders">` is a plain object type): an
 * object whose `_id` is that table's id, with `_creationTime` and otherwise exactly the table's
 * fields, is that table's document (a projection without `_creationTime` is not: the table's
 * type promises it).
 *
 * A table defined as a union of objects (`defineTable(v.union(v.object({ kind: "mention", ...
 * }), v.object({ kind: "due_soon", ... })))`) has documents of each member's shape: a union of
 * objects with that table's `_id`, one per member, is its document (`Doc<"notifications">`); one
 * such object alone is a document of that member.
 */
import type { ValidatorJSON } from "convex/values";
import { discriminantOf } from "../../lib/validator_union.ts";
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

/** The member objects of a table defined as a union with a discriminant, or null. */
export function tableUnionMembers(documentType: ValidatorJSON | null | undefined): {
  members: ObjectValidator[];
  discriminant: string;
} | null {
  if (documentType?.type !== "union") return null;
  const members = unionMembers(documentType);
  if (!members.every((member): member is ObjectValidator => member.type === "object")) return null;
  const discriminant = discriminantOf(members);
  return discriminant === null ? null : { members, discriminant };
}

/** The table `_id` of an object refers to, or null. */
function idTable(validator: ObjectValidator): string | null {
  const id = validator.value["_id"]?.fieldType;
  return id?.type === "id" ? id.tableName : null;
}

/** True when `document` has exactly `fields`, besides `_id` and `_creationTime`. */
function sameFields(document: ObjectValidator, fields: ObjectValidator): boolean {
  if (document.value["_creationTime"] === undefined) return false;
  const own = Object.keys(document.value)
    .filter((key) => key !== "_id" && key !== "_creationTime")
    .sort();
  return JSON.stringify(own) === JSON.stringify(Object.keys(fields.value).sort());
}

/**
 * Which member of a union table `document` is (an object with that table's `_id`): the member
 * with the same fields and, when `document` holds a literal there, the same discriminant; or -1.
 */
export function unionMemberIndex(
  document: ObjectValidator,
  union: { members: readonly ObjectValidator[]; discriminant: string },
): number {
  const literal = document.value[union.discriminant]?.fieldType;
  return union.members.findIndex((member) => {
    if (!sameFields(document, member)) return false;
    if (literal?.type !== "literal") return true;
    const own = member.value[union.discriminant]?.fieldType;
    return own?.type === "literal" && own.value === literal.value;
  });
}

/**
 * The table whose document `validator` is exactly, or null: an object with exactly a table's
 * fields, a union with exactly a union table's members, or one member of one.
 */
export function documentTable(
  validator: ValidatorJSON,
  schema: AppSchemaInfo | null,
): string | null {
  if (validator.type === "union") return unionDocumentTable(unionMembers(validator), schema);
  if (validator.type !== "object") return null;
  const table = idTable(validator);
  if (table === null) return null;
  const documentType = schema?.tables.get(table)?.documentType;
  if (documentType?.type === "object") return sameFields(validator, documentType) ? table : null;
  const union = tableUnionMembers(documentType);
  return union !== null && unionMemberIndex(validator, union) >= 0 ? table : null;
}

/** The union table whose every member `members` are, one each, or null. */
function unionDocumentTable(
  members: readonly ValidatorJSON[],
  schema: AppSchemaInfo | null,
): string | null {
  const [first] = members;
  if (first?.type !== "object") return null;
  const table = idTable(first);
  const union = tableUnionMembers(table === null ? null : schema?.tables.get(table)?.documentType);
  if (table === null || union === null || union.members.length !== members.length) return null;
  const found = new Set<number>();
  for (const member of members) {
    if (member.type !== "object" || idTable(member) !== table) return null;
    found.add(unionMemberIndex(member, union));
  }
  return !found.has(-1) && found.size === members.length ? table : null;
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

/**
 * As `documentTable`, but only a whole document: not one member of a union table (a fetch-by-id
 * query relations resolve through must answer any document of its table).
 */
export function wholeDocumentTable(
  validator: ValidatorJSON,
  schema: AppSchemaInfo | null,
): string | null {
  const table = documentTable(validator, schema);
  if (table === null || validator.type !== "object") return table;
  return schema?.tables.get(table)?.documentType?.type === "object" ? table : null;
}

/** A union table's member as a document: with the table's `_id` and `_creationTime`. */
export function withSystemFields(member: ObjectValidator, table: string): ObjectValidator {
  return {
    type: "object",
    value: {
      _id: { fieldType: { type: "id", tableName: table }, optional: false },
      _creationTime: { fieldType: { type: "number" }, optional: false },
      ...member.value,
    },
  };
}
