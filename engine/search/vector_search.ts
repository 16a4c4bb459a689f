/**
 * `ctx.vectorSearch(table, index, { vector, limit, filter })` (syscall `1.0/actions/vectorSearch`):
 * checks the query as Convex does and answers `{ results: [{ _id, _score }] }`, best first
 * (cosine similarity, ties by id).
 */
import { stagedIndexText } from "../convex_messages.ts";
import { FunctionFailure } from "../errors.ts";
import { decodeLiteral } from "../runtime/filter_expression.ts";
import { encodeValue } from "../values/index_key.ts";
import type { SearchIndexes } from "./search_indexes.ts";
import { normalised, type VectorFilter, type VectorIndex } from "./vector_index.ts";

/** Convex's limits on a vector search. */
export const VECTOR_SEARCH_LIMITS = {
  defaultLimit: 10,
  maxLimit: 256,
  maxFilterExpressions: 64,
} as const;

interface SerializedVectorQuery {
  indexName?: unknown;
  limit?: unknown;
  vector?: unknown;
  expressions?: unknown;
}

function fail(message: string): never {
  throw new FunctionFailure(message);
}

function checkedLimit(limit: unknown): number {
  if (limit === undefined || limit === null) return VECTOR_SEARCH_LIMITS.defaultLimit;
  if (
    typeof limit !== "number" ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > VECTOR_SEARCH_LIMITS.maxLimit
  ) {
    fail(
      `Vector search limit must be between 1 and ${VECTOR_SEARCH_LIMITS.maxLimit}, got ${JSON.stringify(limit)}.`,
    );
  }
  return limit;
}

function checkedVector(index: VectorIndex, vector: unknown): Float32Array {
  const { name, dimensions } = index.definition;
  if (!Array.isArray(vector))
    fail(`Vector search against ${name}: \`vector\` must be an array of numbers.`);
  if (vector.length !== dimensions) {
    fail(
      `Vector search against ${name} has a query vector of length ${vector.length}, but the index's \`dimensions\` is ${dimensions}.`,
    );
  }
  // NaN and Infinity arrive as null: the syscall's arguments travel as plain JSON.
  if (!vector.every((x) => typeof x === "number" && Number.isFinite(x))) {
    fail(
      `Vector search against ${name}: the query vector must hold only finite numbers (no NaN or Infinity).`,
    );
  }
  return normalised(vector as number[]);
}

/** Flattens `q.eq(...)` / `q.or(q.eq(...), ...)` into equalities on filter fields. */
function checkedFilter(index: VectorIndex, expression: unknown): VectorFilter {
  if (expression === null || expression === undefined) return { anyOf: [] };
  const { name, filterFields } = index.definition;
  const anyOf: { position: number; value: string }[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) fail(`Invalid vector search filter on ${name}.`);
    if ("$or" in node && Array.isArray(node.$or)) {
      for (const child of node.$or as unknown[]) visit(child);
      return;
    }
    const eq = (node as { $eq?: unknown }).$eq;
    if (!Array.isArray(eq) || eq.length !== 2) {
      fail(`Vector search filters on ${name} may only use q.eq and q.or.`);
    }
    const [field, literal] = eq as [{ $field?: unknown }, { $literal?: unknown }];
    const position = filterFields.indexOf(String(field.$field));
    if (typeof field.$field !== "string" || position === -1) {
      fail(
        `Vector search against ${name} contains a filter on ${JSON.stringify(field.$field)} but that field isn't indexed for filtering in \`filterFields\`.`,
      );
    }
    anyOf.push({ position, value: encodeValue(decodeLiteral(literal.$literal)) });
    if (anyOf.length > VECTOR_SEARCH_LIMITS.maxFilterExpressions) {
      fail(
        `Vector search against ${name} has too many filter expressions. Max: ${VECTOR_SEARCH_LIMITS.maxFilterExpressions}`,
      );
    }
  };
  visit(expression);
  return { anyOf };
}

/** Runs one vector search; returns the syscall's JSON answer. @throws FunctionFailure on bad input. */
export function vectorSearch(search: SearchIndexes, query: SerializedVectorQuery): string {
  const name = String(query.indexName);
  const index = search.vectorIndex(name);
  if (index === undefined) {
    const declared = search.declared(name);
    if (declared !== undefined && declared.staged) {
      const table = declared.table;
      fail(stagedIndexText(table, name.slice(table.length + 1)));
    }
    fail(`Index ${name} not found.`);
  }
  const limit = checkedLimit(query.limit);
  const vector = checkedVector(index, query.vector);
  const filter = checkedFilter(index, query.expressions);
  const hits = index.search(vector, limit, filter);
  return JSON.stringify({ results: hits.map((hit) => ({ _id: hit.id, _score: hit.score })) });
}
