/**
 * Small transactions the scheduler writes on its own (not inside a user function): marking an
 * action's job inProgress, recording an outcome, scheduling from an action, reconciling crons.
 * Conflicts are retried with backoff until the write lands, as Convex retries its final writes.
 */
import { ConflictError } from "../errors.ts";
import type { DocumentStore } from "../storage/document_store.ts";
import type { TableRegistry } from "../storage/table_registry.ts";
import type { Committer } from "../transactions/committer.ts";
import { Transaction, type WriteCheck } from "../transactions/transaction.ts";

/** What a system transaction needs. */
export interface SystemTransactionDeps {
  readonly store: DocumentStore;
  readonly committer: Committer;
  readonly tables: TableRegistry;
  /** The engine's clock: `_creationTime` of inserted documents. */
  readonly now: () => number;
  /** Checks written documents (`schema.ts`, value limits); none by default (system tables). */
  readonly checkWrite?: WriteCheck;
}

/** Attempts before a system transaction gives up on conflicts. */
const MAX_ATTEMPTS = 50;

/**
 * Runs `body` in a fresh read-write transaction and commits it, retrying the whole body on a
 * conflict. Resolves with what `body` returned once the commit is durable.
 * @throws what `body` throws (nothing is written then), or the commit's failure.
 */
export async function runSystemTransaction<T>(
  deps: SystemTransactionDeps,
  body: (tx: Transaction) => T,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const tx = new Transaction({
      store: deps.store,
      committer: deps.committer,
      tables: deps.tables,
      checkWrite: deps.checkWrite ?? (() => null),
      readOnly: false,
      nowMs: deps.now(),
    });
    let result: T;
    try {
      result = body(tx);
    } catch (error) {
      tx.abort();
      throw error;
    }
    try {
      await tx.commit();
      return result;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 100)));
    }
  }
}
