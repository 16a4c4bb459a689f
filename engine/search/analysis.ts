/**
 * What a document revision contributes to a search index: its tokens with their frequencies, its
 * field length and its filter values, analysed once per (revision, index) and shared by the
 * commit's read-set keys, the index update and the ranking of a transaction's own writes.
 */
import { fieldValue } from "../storage/field_value.ts";
import type { StoredDocument, Timestamp } from "../storage/types.ts";
import { encodeValue, type IndexKey } from "../values/index_key.ts";
import type { TextIndexDefinition } from "./definitions.ts";
import { termFrequencies } from "./tokenizer.ts";

/** One indexed revision of a document. */
export interface IndexedRevision {
  readonly docId: string;
  readonly creationTime: number;
  /** Token count of the search field (BM25's field length). */
  readonly length: number;
  /** Encoded value of each filter field, in the definition's order. */
  readonly filters: readonly IndexKey[];
  readonly terms: ReadonlyMap<string, number>;
  readonly from: Timestamp;
  to: Timestamp | null;
  /** Its number in its index (for dense score arrays); -1 until the index takes it. */
  slot: number;
}

/** What a revision holds for one index: its tokens, field length and filter values. */
interface Analysis {
  readonly terms: ReadonlyMap<string, number>;
  readonly length: number;
  readonly filters: readonly IndexKey[];
}

/**
 * Analyses per (revision, index), computed once: a commit needs them for its read-set keys and
 * again to update the index.
 */
const analyses = new WeakMap<StoredDocument, Map<TextIndexDefinition, Analysis>>();

function analyse(definition: TextIndexDefinition, document: StoredDocument): Analysis {
  let byIndex = analyses.get(document);
  if (byIndex === undefined) {
    byIndex = new Map();
    analyses.set(document, byIndex);
  }
  let analysis = byIndex.get(definition);
  if (analysis === undefined) {
    const text = fieldValue(document.value, definition.searchField);
    const { terms, length } =
      typeof text === "string" ? termFrequencies(text) : { terms: new Map(), length: 0 };
    const filters = definition.filterFields.map((field) =>
      encodeValue(fieldValue(document.value, field)),
    );
    analysis = { terms, length, filters };
    byIndex.set(definition, analysis);
  }
  return analysis;
}

/** Indexes `document` for `definition` (a revision not yet visible anywhere). */
export function indexRevision(
  definition: TextIndexDefinition,
  document: StoredDocument,
  from: Timestamp,
): IndexedRevision {
  const { terms, length, filters } = analyse(definition, document);
  return {
    docId: document.id,
    creationTime: document.value["_creationTime"] as number,
    length,
    filters,
    terms,
    from,
    to: null,
    slot: -1,
  };
}
