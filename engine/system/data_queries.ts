/**
 * The system queries of `npx convex data` (admin only, paginated as the CLI reads them):
 * `_system/cli/tables` lists the app's tables that hold documents; `_system/cli/tableData`
 * pages through one table's documents by `_creationTime` (`order` "asc" or "desc"), the cursor
 * being the last page's final `_creationTime`. The root app's tables only (not components').
 */
import type { StoredDocument } from "../storage/types.ts";

interface PaginationOpts {
  readonly numItems: number;
  readonly cursor: string | null;
}

/** Convex's `PaginationResult`. */
export interface Page<T> {
  readonly page: T[];
  readonly isDone: boolean;
  readonly continueCursor: string;
}

/** A user table of the root app (system tables start with `_`, components' hold a `/`). */
function isAppTable(table: string): boolean {
  return !table.startsWith("_") && !table.includes("/");
}

/** `_system/cli/tables`: every app table holding documents, by name, in one page. */
export function tablesPage(documents: Iterable<StoredDocument>): Page<{ name: string }> {
  const names = new Set<string>();
  for (const document of documents) if (isAppTable(document.table)) names.add(document.table);
  const page = [...names].sort().map((name) => ({ name }));
  return { page, isDone: true, continueCursor: "" };
}

function creationTime(document: StoredDocument): number {
  return document.value["_creationTime"] as number;
}

/** `_system/cli/tableData`: one page of `table`'s documents after the cursor. */
export function tableDataPage(
  documents: Iterable<StoredDocument>,
  args: { table: string; order?: "asc" | "desc"; paginationOpts: PaginationOpts },
): Page<StoredDocument["value"]> {
  const descending = args.order !== "asc";
  const after = args.paginationOpts.cursor === null ? null : Number(args.paginationOpts.cursor);
  const rows = [...documents]
    .filter((document) => document.table === args.table && isAppTable(document.table))
    .filter((document) => {
      if (after === null) return true;
      return descending ? creationTime(document) < after : creationTime(document) > after;
    })
    .sort((a, b) =>
      descending ? creationTime(b) - creationTime(a) : creationTime(a) - creationTime(b),
    );
  const size = Math.max(1, Math.floor(args.paginationOpts.numItems));
  const page = rows.slice(0, size);
  const last = page[page.length - 1];
  return {
    page: page.map((document) => document.value),
    isDone: rows.length <= size,
    continueCursor: last === undefined ? "" : String(creationTime(last)),
  };
}
