/**
 * Where `npx convex import` writes: the engine's tables, through the committer like any
 * mutation (schema and value checks included), in one transaction: every row or none.
 */
import { allDocuments } from "../scheduler/run_context.ts";
import {
  runSystemTransaction,
  type SystemTransactionDeps,
} from "../scheduler/system_transaction.ts";
import type { DocumentValue } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import type { ImportTarget } from "./import_state.ts";

/** Inserts `documents`, naming the row (1-based) that a check refuses. */
function insertAll(tx: Transaction, table: string, documents: readonly DocumentValue[]): void {
  documents.forEach((document, index) => {
    try {
      tx.insert(table, document);
    } catch (error) {
      throw new Error(`Row ${index + 1}: ${(error as Error).message}`);
    }
  });
}

export function importTarget(deps: SystemTransactionDeps): ImportTarget {
  return {
    countDocuments: (table) => deps.store.count(table),
    async write(table, documents, replace) {
      await runSystemTransaction(deps, (tx) => {
        if (replace) {
          for (const document of allDocuments(tx, table)) tx.delete(document.id, table, document);
        }
        insertAll(tx, table, documents);
      });
    },
  };
}
