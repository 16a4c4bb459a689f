/**
 * The in-memory, multi-version database: documents by id and every index of every table.
 *
 * It holds committed data only (transactions buffer their own writes) and keeps old revisions
 * while some snapshot may still read them, so an execution sees one stable snapshot across all
 * of its awaits. SQLite (see `persistence.ts`) is the durable copy; this is rebuilt from it on start.
 */
import { encodeValue, type IndexKey } from "../values/index_key.ts";
import { convexToJson } from "convex/values";
import { MvccIndex } from "./mvcc_index.ts";
import { fieldValue } from "./field_value.ts";
import { SearchIndexes } from "../search/index.ts";
import type {
  DocumentValue,
  DocumentWrite,
  IndexDefinition,
  StoredDocument,
  Timestamp,
} from "./types.ts";

interface Revision {
  readonly ts: Timestamp;
  readonly document: StoredDocument | null;
}

/** The field paths every index implicitly ends with. */
export const INDEX_SUFFIX_FIELDS = ["_creationTime", "_id"] as const;

export { fieldValue } from "./field_value.ts";

/** The key of `document` in an index over `fields` (which already include the implicit suffix). */
export function indexKeyOf(document: DocumentValue, fields: readonly string[]): IndexKey {
  // encodeIndexKey's concatenation, without the arrays (this runs per index per written document).
  let key = "";
  for (const field of fields) key += encodeValue(fieldValue(document, field));
  return key;
}

/** The key of a stored revision in `index` (cached on the revision). */
export function indexKeyOfStored(document: StoredDocument, index: MvccIndex): IndexKey {
  let keys = document.indexKeys;
  if (keys === null) {
    keys = new Map();
    document.indexKeys = keys;
  }
  let key = keys.get(index);
  if (key === undefined) {
    key = indexKeyOf(document.value, index.fields);
    keys.set(index, key);
  }
  return key;
}

/** A function adding a key to `keys`' list for an index (made once per commit, not per key). */
function pushKeyTo(keys: Map<string, IndexKey[]>): (index: string, key: IndexKey) => void {
  return (index, key) => {
    const list = keys.get(index);
    if (list === undefined) keys.set(index, [key]);
    else list.push(key);
  };
}

/** The key of a document id in the table's `by_id` index. */
export function idKey(id: string): IndexKey {
  return encodeValue(id);
}

/** A table's indexes as stored: the two built-ins plus those declared in `schema.ts`. */
export class TableIndexes {
  readonly indexes = new Map<string, MvccIndex>();

  constructor(
    readonly table: string,
    definitions: readonly IndexDefinition[],
  ) {
    this.indexes.set(
      `${table}.by_creation_time`,
      new MvccIndex(`${table}.by_creation_time`, [...INDEX_SUFFIX_FIELDS]),
    );
    for (const definition of definitions) {
      this.indexes.set(
        definition.name,
        new MvccIndex(definition.name, [...definition.fields, ...INDEX_SUFFIX_FIELDS]),
      );
    }
  }
}

export class DocumentStore {
  private readonly revisions = new Map<string, Revision[]>();
  private readonly tables = new Map<string, TableIndexes>();
  private indexDefinitions = new Map<string, readonly IndexDefinition[]>();
  private stagedIndexes: ReadonlySet<string> = new Set();
  /** Keys and ids whose old revisions may be pruned once no snapshot older than `ts` is open. */
  private garbage: { ts: Timestamp; index: MvccIndex | null; key: string }[] = [];
  /** Entries of `garbage` before this position are done. */
  private garbageHead = 0;
  private documentCountByTable = new Map<string, number>();
  /** Search and vector indexes, maintained by `apply` like the database indexes. */
  readonly search = new SearchIndexes();

  /**
   * Replaces the set of declared indexes and rebuilds every index from the latest revisions.
   * Older revisions stay readable by id; index scans of a snapshot older than the rebuild see
   * the rebuilt indexes (index changes happen only when functions are reloaded).
   */
  /** Indexes declared with `staged: true` (`table.index`): declared, but not queryable. */
  setStagedIndexes(names: ReadonlySet<string>): void {
    this.stagedIndexes = names;
  }

  /** Whether `name` (`table.index`) is a staged index. */
  isStaged(name: string): boolean {
    return this.stagedIndexes.has(name);
  }

  setIndexDefinitions(definitions: ReadonlyMap<string, readonly IndexDefinition[]>): void {
    this.indexDefinitions = new Map(definitions);
    this.tables.clear();
    for (const revisions of this.revisions.values()) {
      const latest = revisions[revisions.length - 1];
      const document = latest?.document;
      if (document === undefined || document === null) continue;
      const table = this.tableIndexes(document.table);
      for (const index of table.indexes.values()) {
        index.insert(indexKeyOf(document.value, index.fields), document.id, latest?.ts ?? 0n);
      }
    }
  }

  /** The indexes of `table` (created empty on first use). */
  tableIndexes(table: string): TableIndexes {
    let indexes = this.tables.get(table);
    if (indexes === undefined) {
      indexes = new TableIndexes(table, this.indexDefinitions.get(table) ?? []);
      this.tables.set(table, indexes);
    }
    return indexes;
  }

  /** The index named `table.index`, or undefined when no such index exists. */
  index(name: string): MvccIndex | undefined {
    const table = name.slice(0, name.lastIndexOf("."));
    return this.tableIndexes(table).indexes.get(name);
  }

  /** Names of the tables that hold or held documents, or have declared indexes. */
  tableNames(): string[] {
    return [...new Set([...this.tables.keys(), ...this.indexDefinitions.keys()])];
  }

  /** The revision of `id` visible at `ts`, or null when it did not exist then. */
  get(id: string, ts: Timestamp): StoredDocument | null {
    const revisions = this.revisions.get(id);
    if (revisions === undefined) return null;
    for (let i = revisions.length - 1; i >= 0; i--) {
      const revision = revisions[i];
      if (revision !== undefined && revision.ts <= ts) return revision.document;
    }
    return null;
  }

  /** Number of live documents in `table` at the latest timestamp. */
  count(table: string): number {
    return this.documentCountByTable.get(table) ?? 0;
  }

  /** Every live document at the latest timestamp (for schema checks on reload). */
  *latestDocuments(): IterableIterator<StoredDocument> {
    for (const revisions of this.revisions.values()) {
      const document = revisions[revisions.length - 1]?.document;
      if (document !== undefined && document !== null) yield document;
    }
  }

  /**
   * The index keys a set of writes touches, per index: old and new key of every written
   * document in every index of its table (`by_id` included), as Convex's write log records them.
   */
  writeKeys(writes: readonly DocumentWrite[]): Map<string, IndexKey[]> {
    const keys = new Map<string, IndexKey[]>();
    const push = pushKeyTo(keys);
    for (const write of writes) {
      push(`${write.table}.by_id`, idKey(write.id));
      for (const index of this.tableIndexes(write.table).indexes.values()) {
        if (write.before !== null) push(index.name, indexKeyOfStored(write.before, index));
        if (write.after !== null) push(index.name, indexKeyOfStored(write.after, index));
      }
    }
    this.search.addWriteKeys(writes, push);
    return keys;
  }

  /** Applies a committed set of writes at `ts` (greater than every earlier applied ts). */
  apply(ts: Timestamp, writes: readonly DocumentWrite[]): void {
    for (const write of writes) {
      let revisions = this.revisions.get(write.id);
      if (revisions === undefined) {
        revisions = [];
        this.revisions.set(write.id, revisions);
      }
      revisions.push({ ts, document: write.after });
      if (revisions.length > 1) this.garbage.push({ ts, index: null, key: write.id });
      const table = this.tableIndexes(write.table);
      for (const index of table.indexes.values()) {
        const oldKey = write.before === null ? null : indexKeyOfStored(write.before, index);
        const newKey = write.after === null ? null : indexKeyOfStored(write.after, index);
        if (oldKey === newKey) continue;
        if (oldKey !== null) {
          index.remove(oldKey, ts);
          this.garbage.push({ ts, index, key: oldKey });
        }
        if (newKey !== null) index.insert(newKey, write.id, ts);
      }
      const delta = (write.after === null ? 0 : 1) - (write.before === null ? 0 : 1);
      if (delta !== 0) {
        this.documentCountByTable.set(write.table, this.count(write.table) + delta);
      }
    }
    this.search.apply(ts, writes);
  }

  /** Loads one document at recovery (no history: it is visible from timestamp `ts`). */
  load(document: StoredDocument, ts: Timestamp): void {
    this.apply(ts, [{ id: document.id, table: document.table, before: null, after: document }]);
  }

  /**
   * Frees revisions and index versions that ended at or before `oldestReadTs`: no open
   * snapshot can see them any more.
   */
  collectGarbage(oldestReadTs: Timestamp): void {
    // Each document and index key is pruned once per pass, however many revisions it gained.
    const documents = new Set<string>();
    const indexKeys = new Map<MvccIndex, Set<string>>();
    while (this.garbageHead < this.garbage.length) {
      const item = this.garbage[this.garbageHead];
      if (item === undefined || item.ts > oldestReadTs) break;
      this.garbageHead++;
      if (item.index === null) {
        documents.add(item.key);
        continue;
      }
      let keys = indexKeys.get(item.index);
      if (keys === undefined) {
        keys = new Set();
        indexKeys.set(item.index, keys);
      }
      keys.add(item.key);
    }
    for (const [index, keys] of indexKeys) for (const key of keys) index.prune(key, oldestReadTs);
    this.search.collectGarbage(oldestReadTs);
    for (const id of documents) {
      const revisions = this.revisions.get(id);
      if (revisions === undefined) continue;
      // Keep the newest revision at or before oldestReadTs and everything after it.
      let firstKept = 0;
      for (let i = revisions.length - 1; i >= 0; i--) {
        const revision = revisions[i];
        if (revision !== undefined && revision.ts <= oldestReadTs) {
          firstKept = i;
          break;
        }
      }
      const kept = firstKept === 0 ? revisions : revisions.slice(firstKept);
      if (kept.length === 1 && kept[0]?.document === null) this.revisions.delete(id);
      else if (kept !== revisions) this.revisions.set(id, kept);
    }
    // Compact now and then, not on every call (the list covers the whole retention window).
    if (this.garbageHead > 4096 && this.garbageHead * 2 > this.garbage.length) {
      this.garbage = this.garbage.slice(this.garbageHead);
      this.garbageHead = 0;
    }
  }
}

/** Builds a stored revision; its encoded JSON text is computed once (or given, when loaded). */
export function storedDocument(
  id: string,
  table: string,
  value: DocumentValue,
  json: string = JSON.stringify(convexToJson(value)),
): StoredDocument {
  return { id, table, value, json, indexKeys: null };
}
