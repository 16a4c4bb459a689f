/**
 * Documents against `schema.ts` (the app's, or the owning component's): the check of every write
 * (value limits first, then the schema) and, before a new version serves, the search for an
 * existing document its schema would refuse. System tables (`_session_requests`, ...) are written
 * by the engine itself: they are not in `schema.ts` and not subject to the limits on user documents.
 */
import type { ComponentSet } from "./components/component_set.ts";
import { componentOfTable, localTableName } from "./components/namespace.ts";
import type { ModuleProblem } from "./runtime/bundler.ts";
import type { TableNameOfId } from "./runtime/function_values.ts";
import type { SchemaInfo } from "./runtime/loader.ts";
import type { DocumentStore } from "./storage/document_store.ts";
import type { DocumentValue } from "./storage/types.ts";
import { checkDocument, userFieldsOf } from "./values/limits.ts";
import { schemaValidationMessage, validateValue } from "./values/validate.ts";

export function isSystemTable(table: string): boolean {
  return table.startsWith("_");
}

/** Why `document` does not match `schema`'s table, in Convex's words, or null. */
export function schemaProblem(
  schema: SchemaInfo,
  table: string,
  document: DocumentValue,
  tableNameOfId: TableNameOfId,
): string | null {
  const tableSchema = schema.tables.get(table);
  const shown = localTableName(table); // as the owning component names it
  if (tableSchema === undefined) {
    return `Failed to insert or update a document in table "${shown}" because it does not match the schema: table "${shown}" is not declared in schema.ts.`;
  }
  if (tableSchema.documentType === null) return null;
  const failure = validateValue(tableSchema.documentType, userFieldsOf(document), {
    tableNameOfId,
  });
  return failure === null ? null : schemaValidationMessage(shown, failure);
}

/** Checks a document about to be written: value limits, then `schema.ts`. */
export function checkWrite(
  table: string,
  document: DocumentValue,
  appSchema: SchemaInfo | null,
  components: ComponentSet,
  tableNameOfId: TableNameOfId,
): string | null {
  if (isSystemTable(table)) return null;
  const limit = checkDocument(document);
  if (limit !== null) return limit;
  const schema = components.schemaFor(table, appSchema);
  if (schema === null || schema === undefined || !schema.schemaValidation) return null;
  return schemaProblem(schema, table, document, tableNameOfId);
}

/**
 * The first existing document that does not match its schema (the app's, or its component's),
 * described with the schema file, or null.
 */
export function findSchemaMismatch(
  appSchema: SchemaInfo | null,
  components: ComponentSet,
  store: Pick<DocumentStore, "latestDocuments">,
  tableNameOfId: TableNameOfId,
): ModuleProblem | null {
  const validated = [appSchema, ...components.list().map((instance) => instance.schema)];
  if (!validated.some((schema) => schema?.schemaValidation === true)) return null;
  for (const document of store.latestDocuments()) {
    if (isSystemTable(document.table)) continue;
    const schema = components.schemaFor(document.table, appSchema);
    if (schema === null || schema === undefined || !schema.schemaValidation) continue;
    const problem = schemaProblem(schema, document.table, document.value, tableNameOfId);
    if (problem !== null) {
      const owner = components.instance(componentOfTable(document.table));
      return {
        file: owner === undefined ? "convex/schema.ts" : `${owner.definitionDir}/schema`,
        reason: `Schema validation failed: document with ID "${document.id}" in table "${localTableName(document.table)}" does not match the schema.\n${problem}`,
      };
    }
  }
  return null;
}
