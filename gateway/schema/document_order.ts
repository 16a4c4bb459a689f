/**
 * Inferred results in the order a reader of the schema expects. TypeScript lists a spread's added
 * properties first and moves optional ones (`{ ...message, authorName }` is `authorName, _id,
 * _creationTime, imageId, body, ...`), so an inferred object that holds every field of a table's
 * document (its `_id` an id of that table) is reordered: `_id`, `_creationTime` and the table's
 * fields in `schema.ts` order, then the others in TypeScript's order. Only field order changes;
 * declared validators keep the app's own order.
 */
import type { ValidatorJSON } from "convex/values";
import type { AppSchemaInfo } from "./app_description.ts";
import type { ObjectValidator } from "./table_documents.ts";
import { fieldOf, hasField } from "../../lib/validator_union.ts";

/** The fields of the table whose document `object` holds all of, in document order, or null. */
function documentKeys(object: ObjectValidator, schema: AppSchemaInfo): string[] | null {
  const id = object.value["_id"]?.fieldType;
  if (id?.type !== "id") return null;
  const documentType = schema.tables.get(id.tableName)?.documentType;
  if (documentType?.type !== "object") return null;
  const keys = ["_id", "_creationTime", ...Object.keys(documentType.value)];
  return keys.every((key) => hasField(object, key)) ? keys : null;
}

function reorderObject(object: ObjectValidator, schema: AppSchemaInfo): ObjectValidator {
  const keys = documentKeys(object, schema) ?? [];
  const ordered = [...keys, ...Object.keys(object.value).filter((key) => !keys.includes(key))];
  const value: ObjectValidator["value"] = {};
  for (const key of ordered) {
    const spec = fieldOf(object, key);
    if (spec !== undefined)
      value[key] = { ...spec, fieldType: documentFieldsFirst(spec.fieldType, schema) };
  }
  return { type: "object", value };
}

/** `validator` with every object holding a whole table document reordered (see the header). */
export function documentFieldsFirst(
  validator: ValidatorJSON,
  schema: AppSchemaInfo | null,
): ValidatorJSON {
  if (schema === null) return validator;
  switch (validator.type) {
    case "object":
      return reorderObject(validator, schema);
    case "array":
      return { type: "array", value: documentFieldsFirst(validator.value, schema) };
    case "union":
      return { type: "union", value: validator.value.map((v) => documentFieldsFirst(v, schema)) };
    default:
      return validator;
  }
}
