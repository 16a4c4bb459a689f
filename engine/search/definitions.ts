/**
 * Search and vector index definitions, read from `defineSchema(...).export()` (`searchIndexes`,
 * `stagedSearchIndexes`, `vectorIndexes`, `stagedVectorIndexes`), with Convex's schema checks.
 */

/** A `.searchIndex(name, { searchField, filterFields, staged })`. */
export interface TextIndexDefinition {
  /** `table.index` */
  readonly name: string;
  readonly table: string;
  readonly searchField: string;
  readonly filterFields: readonly string[];
  /** Declared with `staged: true`: accepted, not built, not queryable. */
  readonly staged: boolean;
}

/** A `.vectorIndex(name, { vectorField, dimensions, filterFields, staged })`. */
export interface VectorIndexDefinition {
  /** `table.index` */
  readonly name: string;
  readonly table: string;
  readonly vectorField: string;
  readonly dimensions: number;
  readonly filterFields: readonly string[];
  readonly staged: boolean;
}

export interface SearchDefinitions {
  readonly text: readonly TextIndexDefinition[];
  readonly vector: readonly VectorIndexDefinition[];
}

/** Convex's limits on search and vector index definitions. */
export const INDEX_LIMITS = {
  filterFields: 16,
  minDimensions: 2,
  maxDimensions: 4096,
} as const;

interface ExportedSearchIndex {
  indexDescriptor: string;
  searchField: string;
  filterFields?: string[];
}
interface ExportedVectorIndex {
  indexDescriptor: string;
  vectorField: string;
  dimensions: number;
  filterFields?: string[];
}

/** The part of a table's schema export this module reads. */
export interface ExportedSearchTable {
  tableName: string;
  searchIndexes?: ExportedSearchIndex[];
  stagedSearchIndexes?: ExportedSearchIndex[];
  vectorIndexes?: ExportedVectorIndex[];
  stagedVectorIndexes?: ExportedVectorIndex[];
}

function filterFieldsOf(kind: "Search" | "Vector", fields: string[] | undefined): string[] {
  const unique = [...new Set(fields ?? [])];
  if (unique.length > INDEX_LIMITS.filterFields) {
    throw new Error(`${kind} indexes may have up to ${INDEX_LIMITS.filterFields} filter fields.`);
  }
  return unique;
}

function vectorIndex(table: string, index: ExportedVectorIndex, staged: boolean) {
  const { dimensions } = index;
  if (
    !Number.isInteger(dimensions) ||
    dimensions < INDEX_LIMITS.minDimensions ||
    dimensions > INDEX_LIMITS.maxDimensions
  ) {
    throw new Error(
      `Dimensions ${dimensions} must be between ${INDEX_LIMITS.minDimensions} and ${INDEX_LIMITS.maxDimensions} (vector index ${table}.${index.indexDescriptor}).`,
    );
  }
  return {
    name: `${table}.${index.indexDescriptor}`,
    table,
    vectorField: index.vectorField,
    dimensions,
    filterFields: filterFieldsOf("Vector", index.filterFields),
    staged,
  };
}

/** Reads the search and vector indexes of every table. @throws on an invalid definition. */
export function parseSearchDefinitions(tables: readonly ExportedSearchTable[]): SearchDefinitions {
  const text: TextIndexDefinition[] = [];
  const vector: VectorIndexDefinition[] = [];
  for (const table of tables) {
    const name = table.tableName;
    const searchIndexes = [
      ...(table.searchIndexes ?? []).map((index) => ({ index, staged: false })),
      ...(table.stagedSearchIndexes ?? []).map((index) => ({ index, staged: true })),
    ];
    for (const { index, staged } of searchIndexes) {
      text.push({
        name: `${name}.${index.indexDescriptor}`,
        table: name,
        searchField: index.searchField,
        filterFields: filterFieldsOf("Search", index.filterFields),
        staged,
      });
    }
    for (const index of table.vectorIndexes ?? []) vector.push(vectorIndex(name, index, false));
    for (const index of table.stagedVectorIndexes ?? [])
      vector.push(vectorIndex(name, index, true));
  }
  return { text, vector };
}
