/**
 * The executor's public types: what a caller asks for (`FunctionRequest`, with the hooks a caller
 * runs inside a mutation's transaction) and what it gets back (`FunctionOutcome`). Kept apart from
 * the executor so the many modules that only pass requests and outcomes around (the sync session,
 * the HTTP API, the scheduler, the live queries) depend on types, not on the machinery.
 */
import type { SystemError } from "../errors.ts";
import type { ComponentSet } from "../components/component_set.ts";
import type { DocumentStore } from "../storage/document_store.ts";
import type { TableRegistry } from "../storage/table_registry.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import type { ReadSet } from "../transactions/read_set.ts";
import type { Transaction, WriteCheck } from "../transactions/transaction.ts";
import type { FunctionKind, UserIdentity } from "./execution.ts";
import type { FunctionRegistry } from "./registry.ts";

export interface FunctionRequest {
  /** The path as the client sent it (`orders:placeOrder`, `orders` for a default export). */
  readonly path: string;
  /** The kind the caller asked for; a mismatch is refused as Convex does. */
  readonly kind: FunctionKind;
  /** Convex-encoded JSON of the arguments object. */
  readonly args: unknown;
  /**
   * `JSON.stringify(args ?? {})`, when the caller already made it (the query cache, for its key):
   * not made again (a 16 MB argument takes tens of milliseconds to stringify).
   */
  readonly argsJson?: string;
  readonly identity: UserIdentity | null;
  /** Internal functions are callable only from inside the backend. */
  readonly allowInternal?: boolean;
  /**
   * The component the function belongs to (`""` or absent: the app). Honoured only with
   * `allowInternal` (an admin, a function handle) or `calledByParent`: to anyone else a component
   * function does not exist.
   */
  readonly componentPath?: string;
  /** `components.<name>.<fn>` from the component's parent: public functions only. */
  readonly calledByParent?: boolean;
  /** Read at this timestamp (queries only: `/api/query_at_ts`). */
  readonly snapshotTs?: Timestamp;
  /** Queries over the sync protocol: the journal the client sent with the subscription. */
  readonly journal?: string | null;
  /**
   * Mutations run by the scheduler or recorded for exactly-once delivery (sync/session_requests):
   * checks and writes inside the mutation's transaction.
   */
  readonly hooks?: TransactionHooks;
  /** The `_scheduled_functions` job being run (a mutation cannot cancel it; see scheduling.ts). */
  readonly scheduledJobId?: string;
}

/**
 * What a caller does inside a mutation's own transaction (the scheduler, the exactly-once
 * records), so its writes commit exactly when the mutation's do (a conflict reruns both).
 */
export interface TransactionHooks {
  /** Before the function's code: false drops the attempt unrun (`run` throws RunSkipped). */
  readonly begin: (tx: Transaction) => boolean;
  /**
   * After the function succeeded, before the commit: records the outcome (`value`: the
   * convex-encoded result; `logLines`: what the function logged).
   */
  readonly complete: (tx: Transaction, value: unknown, logLines: readonly string[]) => void;
}

/** Thrown by `Executor.run` when `hooks.begin` declined the run (nothing was run or written). */
export class RunSkipped extends Error {
  constructor(path: string) {
    super(`The run of ${path} was dropped: its job is no longer pending.`);
    this.name = "RunSkipped";
  }
}

export type FunctionOutcome =
  | {
      readonly status: "success";
      /** Convex-encoded JSON of the result. */
      readonly value: unknown;
      readonly logLines: string[];
      /** Queries: the snapshot read. Mutations: the commit timestamp. */
      readonly ts: Timestamp;
      /** Queries: what was read (for reactivity). */
      readonly readSet: ReadSet | null;
      readonly observedIdentity: boolean;
      /** The query journal to send with this result (queries that paginated). */
      readonly journal?: string | null;
    }
  | {
      readonly status: "error";
      readonly errorMessage: string;
      /** Convex-encoded JSON of a ConvexError's data. */
      readonly errorData?: unknown;
      readonly logLines: string[];
      readonly ts: Timestamp | null;
      readonly readSet: ReadSet | null;
      readonly observedIdentity: boolean;
      /** The failure may not recur (a timeout): a live result should be recomputed, not kept. */
      readonly transient?: boolean;
      readonly journal?: string | null;
      /** The thrown error's own message (what scheduler and cron logs and job states show). */
      readonly cause?: string;
      /**
       * The function's own failure as Convex displays it, without the request-id framing
       * (`Uncaught Error: boom` and its frame, a validation text): what a calling action's
       * `ctx.run*` rejects with. Absent when no function was resolved (unknown, internal or of
       * another kind) and for system errors: their `errorMessage` has no framing.
       */
      readonly detail?: string;
      /** A mutation that conflicted on every attempt (it did not fail by itself: retry later). */
      readonly conflicted?: true;
      /**
       * A system error (OCC after every retry, `throwOcc`, `throwOverloaded`): not the function's
       * fault; HTTP answers 503 `{code, message}`, the sync protocol closes with 1013.
       */
      readonly systemError?: SystemError;
    };

/** Counters for tests and benchmarks. */
export interface ExecutorStats {
  queries: number;
  mutations: number;
  mutationRetries: number;
  actions: number;
}

export interface ExecutorDeps {
  readonly store: DocumentStore;
  readonly committer: Committer;
  readonly tables: TableRegistry;
  readonly registry: () => FunctionRegistry;
  /** The component instances of the loaded version. @default none */
  readonly components?: () => ComponentSet;
  readonly checkWrite: WriteCheck;
  /** An action's time limit. @default ACTION_TIMEOUT_MS (10 minutes) // ms */
  readonly actionTimeoutMs?: number;
  /** The clock functions see (`Date.now()`, `_creationTime`). @default Date.now // ms */
  readonly now?: () => number;
}
