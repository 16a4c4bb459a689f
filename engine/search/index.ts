/**
 * Text and vector search (engine part 4): index definitions from `schema.ts`, the indexes the
 * DocumentStore maintains, `withSearchIndex` streams and pages, and `ctx.vectorSearch`.
 */
export {
  INDEX_LIMITS,
  parseSearchDefinitions,
  type ExportedSearchTable,
  type SearchDefinitions,
  type TextIndexDefinition,
  type VectorIndexDefinition,
} from "./definitions.ts";
export { SearchIndexes } from "./search_indexes.ts";
export { SEARCH_LIMITS } from "./search_query.ts";
export { isSearchQuery, SearchStream, searchPage } from "./search_stream.ts";
export { tokenize } from "./tokenizer.ts";
export { VECTOR_SEARCH_LIMITS, vectorSearch } from "./vector_search.ts";
