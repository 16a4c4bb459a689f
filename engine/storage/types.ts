/** Shared storage types. */
import type { Value } from "convex/values";
import type { IndexKey } from "../values/index_key.ts";

/** A commit timestamp: u64 nanoseconds since the Unix epoch, strictly increasing per commit. */
export type Timestamp = bigint;

/** A document's fields, system fields included (`_id`, `_creationTime`). */
export type DocumentValue = Record<string, Value>;

/** One stored revision of a document, immutable once created. */
export interface StoredDocument {
  readonly id: string;
  readonly table: string;
  readonly value: DocumentValue;
  /** The convex-encoded JSON text of `value`, computed once. */
  readonly json: string;
  /**
   * This revision's key in each index, computed once when first needed (`indexKeyOfStored`):
   * a commit needs them to validate, to invalidate subscriptions and to update the indexes.
   */
  indexKeys: Map<object, IndexKey> | null;
}

/** A user-defined or system index of a table. */
export interface IndexDefinition {
  /** `table.index` */
  readonly name: string;
  /** The indexed fields as declared, without the implicit `_creationTime`, `_id` suffix. */
  readonly fields: readonly string[];
}

/** One document written by a commit: its revision before (null: inserted) and after (null: deleted). */
export interface DocumentWrite {
  readonly id: string;
  readonly table: string;
  readonly before: StoredDocument | null;
  readonly after: StoredDocument | null;
}
