/**
 * Every search and vector index of the database, maintained by every commit the DocumentStore
 * applies (so an index always holds exactly the committed data, at every retained snapshot), and
 * built from the existing documents when `schema.ts` declares them.
 */
import type { DocumentWrite, StoredDocument, Timestamp } from "../storage/types.ts";
import type { IndexKey } from "../values/index_key.ts";
import type {
  SearchDefinitions,
  TextIndexDefinition,
  VectorIndexDefinition,
} from "./definitions.ts";
import { coveredSubsets, revisionKeys } from "./read_keys.ts";
import { indexRevision } from "./analysis.ts";
import { TextIndex } from "./text_index.ts";
import { VectorIndex } from "./vector_index.ts";

/** Tables at least this large print their build progress. */
const PROGRESS_EVERY = 10_000;

const NO_DEFINITIONS: SearchDefinitions = { text: [], vector: [] };

export class SearchIndexes {
  private definitions: SearchDefinitions = NO_DEFINITIONS;
  private signature = JSON.stringify(NO_DEFINITIONS);
  private readonly text = new Map<string, TextIndex>();
  private readonly vector = new Map<string, VectorIndex>();
  private textByTable = new Map<string, TextIndex[]>();
  private vectorByTable = new Map<string, VectorIndex[]>();
  private readonly subsets = new Map<TextIndex, number[][]>();

  /**
   * Declares the indexes of a newly loaded `schema.ts`. When they changed, every index is rebuilt
   * from `documents` (the latest revisions), printing progress for large tables. Staged indexes
   * are accepted and not built, as they cannot be queried.
   */
  setDefinitions(
    definitions: SearchDefinitions,
    documents: () => Iterable<StoredDocument>,
    log: (line: string) => void,
  ): void {
    const signature = JSON.stringify(definitions);
    if (signature === this.signature) return;
    this.definitions = definitions;
    this.signature = signature;
    this.text.clear();
    this.vector.clear();
    this.subsets.clear();
    for (const definition of definitions.text) {
      if (definition.staged) continue;
      const index = new TextIndex(definition);
      this.text.set(definition.name, index);
      this.subsets.set(index, coveredSubsets(definition.filterFields.length));
    }
    for (const definition of definitions.vector) {
      if (!definition.staged) this.vector.set(definition.name, new VectorIndex(definition));
    }
    this.textByTable = groupByTable(this.text);
    this.vectorByTable = groupByTable(this.vector);
    if (this.text.size + this.vector.size > 0) this.build(documents(), log);
  }

  private build(documents: Iterable<StoredDocument>, log: (line: string) => void): void {
    const started = Date.now();
    let count = 0;
    for (const document of documents) {
      const text = this.textByTable.get(document.table);
      const vector = this.vectorByTable.get(document.table);
      if (text === undefined && vector === undefined) continue;
      for (const index of text ?? []) index.write(document.id, document, 0n);
      for (const index of vector ?? []) index.write(document.id, document);
      count++;
      if (count % PROGRESS_EVERY === 0) log(`  search indexes: ${count} documents indexed`);
    }
    const names = [...this.text.keys(), ...this.vector.keys()].join(", ");
    log(`✔ Built search indexes ${names} over ${count} documents in ${Date.now() - started} ms`);
  }

  /** The text index `table.index`, if declared and not staged. */
  textIndex(name: string): TextIndex | undefined {
    return this.text.get(name);
  }

  /** The vector index `table.index`, if declared and not staged. */
  vectorIndex(name: string): VectorIndex | undefined {
    return this.vector.get(name);
  }

  /** The declaration of a search or vector index, staged ones included. */
  declared(name: string): TextIndexDefinition | VectorIndexDefinition | undefined {
    return (
      this.definitions.text.find((definition) => definition.name === name) ??
      this.definitions.vector.find((definition) => definition.name === name)
    );
  }

  /** Applies a commit's writes at `ts` (called by the DocumentStore, in ts order). */
  apply(ts: Timestamp, writes: readonly DocumentWrite[]): void {
    for (const write of writes) {
      for (const index of this.textByTable.get(write.table) ?? []) {
        index.write(write.id, write.after, ts);
      }
      for (const index of this.vectorByTable.get(write.table) ?? []) {
        index.write(write.id, write.after);
      }
    }
  }

  /** Adds the read-set keys a set of writes touches in the text indexes' keyspaces. */
  addWriteKeys(
    writes: readonly DocumentWrite[],
    push: (index: string, key: IndexKey) => void,
  ): void {
    for (const write of writes) {
      for (const index of this.textByTable.get(write.table) ?? []) {
        const subsets = this.subsets.get(index) ?? [[]];
        for (const revision of [write.before, write.after]) {
          if (revision === null) continue;
          const indexed = indexRevision(index.definition, revision, 0n);
          for (const key of revisionKeys(indexed, subsets)) push(index.definition.name, key);
        }
      }
    }
  }

  /** Frees what no snapshot at or after `oldestReadTs` can read. */
  collectGarbage(oldestReadTs: Timestamp): void {
    for (const index of this.text.values()) index.collectGarbage(oldestReadTs);
  }
}

function groupByTable<I extends { definition: { table: string } }>(
  indexes: ReadonlyMap<string, I>,
): Map<string, I[]> {
  const byTable = new Map<string, I[]>();
  for (const index of indexes.values()) {
    const list = byTable.get(index.definition.table);
    if (list === undefined) byTable.set(index.definition.table, [index]);
    else list.push(index);
  }
  return byTable;
}
