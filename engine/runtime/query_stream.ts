/**
 * Database queries as `convex/server` serialises them (`{source, operators}`): compiled to one
 * index range (a byte interval of index keys), walked lazily with filters and a limit applied
 * in memory. Only what a stream actually consumed enters the read set.
 */
import { FunctionFailure } from "../errors.ts";
import { stagedIndexText } from "../convex_messages.ts";
import type { MvccIndex } from "../storage/mvcc_index.ts";
import type { StoredDocument } from "../storage/types.ts";
import type { Interval } from "../transactions/interval_set.ts";
import type { IndexScan, Transaction } from "../transactions/transaction.ts";
import { encodeIndexKey, tuplePrefixEnd, type IndexKey } from "../values/index_key.ts";
import { decodeLiteral, evaluateFilter } from "./filter_expression.ts";

interface RangeExpression {
  type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte";
  fieldPath: string;
  value: unknown;
}

export interface SerializedQuery {
  source:
    | { type: "FullTableScan"; tableName: string; order: "asc" | "desc" | null }
    | {
        type: "IndexRange";
        indexName: string;
        range: RangeExpression[];
        order: "asc" | "desc" | null;
      }
    | { type: "Search"; indexName: string; filters: unknown[] };
  operators: ({ filter: unknown } | { limit: number })[];
}

/** A compiled query: which index, which interval, in which order, then filters and a limit. */
export interface QueryPlan {
  readonly index: MvccIndex;
  readonly interval: Interval;
  readonly order: "asc" | "desc";
  readonly filters: readonly unknown[];
  readonly limit: number | null;
}

function fail(message: string): never {
  throw new FunctionFailure(message);
}

/** Compiles `withIndex` range expressions on `fields` (index fields incl. the implicit suffix). */
export function compileRange(
  indexName: string,
  fields: readonly string[],
  range: readonly RangeExpression[],
): Interval {
  const prefix: unknown[] = [];
  let position = 0;
  let lower: RangeExpression | null = null;
  let upper: RangeExpression | null = null;
  for (const expression of range) {
    const expected = fields[position];
    if (expression.type === "Eq" && lower === null && upper === null) {
      if (expression.fieldPath !== expected) {
        fail(
          `Uncaught Error: Tried to query index ${indexName} but the query didn't use the index fields in order. ` +
            `Expected "${String(expected)}" but got "${expression.fieldPath}".`,
        );
      }
      prefix.push(decodeLiteral(expression.value));
      position++;
      continue;
    }
    if (expression.fieldPath !== expected || expression.type === "Eq") {
      fail(
        `Invalid index range for ${indexName}: range expressions must be equalities on a prefix of the index fields ` +
          `(${fields.join(", ")}), then at most one lower and one upper bound on the next field. Got ${expression.type} on "${expression.fieldPath}".`,
      );
    }
    if (expression.type === "Gt" || expression.type === "Gte") {
      if (lower !== null)
        fail(`Invalid index range for ${indexName}: two lower bounds on "${expected}".`);
      lower = expression;
    } else {
      if (upper !== null)
        fail(`Invalid index range for ${indexName}: two upper bounds on "${expected}".`);
      upper = expression;
    }
  }
  const prefixKey = encodeIndexKey(prefix as never[]);
  let start: IndexKey = prefixKey;
  // Every tuple extending a prefix P sorts in [P, P + 0xFF): the next byte is a type tag (< 0xFF).
  // (A plain byte-prefix successor would also take in strings and bytes that merely extend the
  // prefix's last value with a zero byte, since "a" encodes as a byte-prefix of "a\0".)
  let end: IndexKey | null = tuplePrefixEnd(prefixKey);
  if (lower !== null) {
    const bound = prefixKey + encodeIndexKey([decodeLiteral(lower.value)]);
    start = lower.type === "Gte" ? bound : tuplePrefixEnd(bound);
  }
  if (upper !== null) {
    const bound = prefixKey + encodeIndexKey([decodeLiteral(upper.value)]);
    end = upper.type === "Lt" ? bound : tuplePrefixEnd(bound);
  }
  return { start, end };
}

/** Resolves and compiles a serialised query. @throws FunctionFailure on an invalid query. */
export function planQuery(tx: Transaction, query: SerializedQuery): QueryPlan {
  const source = query.source;
  let index: MvccIndex | undefined;
  let interval: Interval;
  let order: "asc" | "desc";
  switch (source.type) {
    case "FullTableScan": {
      index = tx.store.index(`${source.tableName}.by_creation_time`);
      if (index === undefined) fail(`Table "${source.tableName}" not found.`);
      interval = { start: "", end: null };
      order = source.order ?? "asc";
      break;
    }
    case "IndexRange": {
      const name = source.indexName;
      const table = name.slice(0, name.lastIndexOf("."));
      if (tx.store.isStaged(name)) fail(stagedIndexText(table, name.slice(table.length + 1)));
      index = name.endsWith(".by_id") ? undefined : tx.store.index(name);
      if (name.endsWith(".by_id")) {
        index = tx.store.index(`${table}.by_creation_time`);
        if (index === undefined) fail(`Index "${name}" not found.`);
        // by_id is served through by_creation_time with an _id filter.
        interval = { start: "", end: null };
        order = source.order ?? "asc";
        const filters = source.range.map((expression) => ({
          [`$${expression.type.toLowerCase()}`]: [
            { $field: "_id" },
            { $literal: expression.value },
          ],
        }));
        return withOperators(index, interval, order, query, filters);
      }
      if (index === undefined) fail(`Index "${name}" not found.`);
      interval = compileRange(name, index.fields, source.range);
      order = source.order ?? "asc";
      break;
    }
    case "Search":
      fail("A text search (withSearchIndex) is read through its search index, not planned here.");
    default:
      source satisfies never;
      fail("Unknown query source.");
  }
  return withOperators(index, interval, order, query, []);
}

function withOperators(
  index: MvccIndex,
  interval: Interval,
  order: "asc" | "desc",
  query: SerializedQuery,
  initialFilters: unknown[],
): QueryPlan {
  const filters = [...initialFilters];
  let limit: number | null = null;
  for (const operator of query.operators) {
    if ("filter" in operator) filters.push(operator.filter);
    else if ("limit" in operator)
      limit = limit === null ? operator.limit : Math.min(limit, operator.limit);
  }
  return { index, interval, order, filters, limit };
}

/** A query being iterated: an index range or a search (engine/search). */
export interface DocumentStream {
  /** The next matching document, or null when done. */
  next(): StoredDocument | null;
  /** Stops the stream; what it consumed joins the read set. */
  close(): void;
}

/** A query being iterated (`for await`, `collect`, `take`, `first`, `unique`). */
export class QueryStream implements DocumentStream {
  private readonly scan: IndexScan;
  private returned = 0;

  constructor(
    private readonly tx: Transaction,
    private readonly plan: QueryPlan,
  ) {
    this.scan = tx.scan(plan.index, plan.interval, plan.order);
  }

  /** The next matching document, or null when done (the stream is then closed). */
  next(): StoredDocument | null {
    if (this.plan.limit !== null && this.returned >= this.plan.limit) {
      this.close();
      return null;
    }
    for (;;) {
      const document = this.scan.next();
      if (document === null) {
        this.close();
        return null;
      }
      if (this.matches(document)) {
        this.returned++;
        return document;
      }
    }
  }

  private matches(document: StoredDocument): boolean {
    for (const filter of this.plan.filters) {
      let result;
      try {
        result = evaluateFilter(filter, document.value);
      } catch (error) {
        throw new FunctionFailure((error as Error).message);
      }
      if (result !== true) return false;
    }
    return true;
  }

  /** Stops the stream; what it consumed joins the read set. */
  close(): void {
    this.tx.finishScan(this.scan);
  }
}
