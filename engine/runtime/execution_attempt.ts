/**
 * One attempt at a query or mutation: wait for an execution slot, open a transaction and an
 * execution context (frozen clock, seeded random, journal), run the handler within Convex's time
 * limit, check the result, and for a mutation commit. A commit conflict is thrown (ConflictError)
 * for the executor's retry loop; everything else becomes a `FunctionOutcome`. Apart from the
 * executor, which decides how often to attempt and under which gate.
 */
import { ConflictError, errorMessageOf, SystemError, TimeoutError } from "../errors.ts";
import { Transaction } from "../transactions/transaction.ts";
import { withTimeout } from "./deadline.ts";
import { parseJournal, runInExecution, seededRandom, type Execution } from "./execution.ts";
import {
  RunSkipped,
  type ExecutorDeps,
  type FunctionOutcome,
  type FunctionRequest,
} from "./executor_types.ts";
import { componentOf, identityIn } from "./function_resolution.ts";
import {
  failureOf,
  framedFailure,
  succeeded,
  uncaughtFailure,
  type Failure,
} from "./function_outcomes.ts";
import { checkReturns, type TableNameOfId } from "./function_values.ts";
import type { RegisteredFunction } from "./registry.ts";
import { Semaphore } from "./semaphore.ts";

/** Convex's limit on user code time in a query or mutation. */
export const QUERY_MUTATION_TIMEOUT_MS = 1_000;
/** How many executions run user code at the same time. */
export const MAX_CONCURRENT_EXECUTIONS = 64;

export class AttemptRunner {
  /** Executions whose user code runs at once (the rest wait for a slot). */
  private readonly slots = new Semaphore(MAX_CONCURRENT_EXECUTIONS);

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly tableNameOfId: TableNameOfId,
  ) {}

  /** One attempt; throws ConflictError when a mutation's commit conflicts. */
  attempt(
    fn: RegisteredFunction,
    argsJson: string,
    requestId: string,
    request: FunctionRequest,
    readOnly: boolean,
  ): Promise<FunctionOutcome> {
    // A free slot is taken at once: no promise, no turn of the microtask queue (every call).
    const releaseSlot = this.slots.tryAcquire();
    if (releaseSlot !== null) {
      return this.attemptInSlot(fn, argsJson, requestId, request, readOnly, releaseSlot);
    }
    return this.slots
      .acquire()
      .then((release) => this.attemptInSlot(fn, argsJson, requestId, request, readOnly, release));
  }

  /** The attempt once it holds a slot; the slot is released however it ends. */
  private async attemptInSlot(
    fn: RegisteredFunction,
    argsJson: string,
    requestId: string,
    request: FunctionRequest,
    readOnly: boolean,
    releaseSlot: () => void,
  ): Promise<FunctionOutcome> {
    let started: { execution: Execution; tx: Transaction };
    try {
      started = this.beginExecution(fn, request, requestId, readOnly);
      if (request.hooks !== undefined && !request.hooks.begin(started.tx)) {
        started.tx.abort();
        throw new RunSkipped(fn.path);
      }
    } catch (error) {
      releaseSlot();
      throw error;
    }
    const { execution, tx } = started;
    const failure = failureOf(execution, tx, readOnly);
    let resultJson: string;
    try {
      resultJson = await withTimeout(
        runInExecution(execution, () => fn.invoke(argsJson, requestId)),
        QUERY_MUTATION_TIMEOUT_MS,
      );
    } catch (error) {
      return this.thrown(error, execution, failure);
    } finally {
      execution.ended = true;
      for (const stream of execution.streams.values()) stream.close();
      // User code is done: the commit below only waits for the disk.
      releaseSlot();
    }
    // A system error stands even when the function caught it (Convex's are uncatchable).
    const system = execution.systemError;
    if (system !== undefined)
      return { ...failure({ errorMessage: system.message }), systemError: system, transient: true };
    const checked = checkReturns(fn, resultJson, this.tableNameOfId);
    if ("error" in checked) return failure(framedFailure(requestId, checked.error));
    if (readOnly) {
      const readSet = tx.finishRead();
      const journal = execution.journalOut;
      return { ...succeeded(execution, tx, checked.value, tx.beginTs), readSet, journal };
    }
    request.hooks?.complete(tx, checked.value, execution.logLines);
    try {
      const ts = await tx.commit();
      return succeeded(execution, tx, checked.value, ts);
    } catch (error) {
      if (error instanceof ConflictError) throw error;
      return failure(framedFailure(requestId, `Commit failed: ${errorMessageOf(error)}`));
    }
  }

  /** A new execution of `fn` in a transaction of its own. */
  private beginExecution(
    fn: RegisteredFunction,
    request: FunctionRequest,
    requestId: string,
    readOnly: boolean,
  ): { execution: Execution; tx: Transaction } {
    const nowMs = (this.deps.now ?? Date.now)();
    const tx = new Transaction({
      store: this.deps.store,
      committer: this.deps.committer,
      tables: this.deps.tables,
      checkWrite: this.deps.checkWrite,
      readOnly,
      nowMs,
      ...(request.snapshotTs !== undefined ? { snapshotTs: request.snapshotTs } : {}),
    });
    const componentPath = componentOf(request);
    const execution: Execution = {
      kind: fn.kind,
      path: fn.path,
      componentPath,
      requestId,
      tx,
      nowMs,
      random: seededRandom(),
      identity: identityIn(componentPath, request.identity),
      logLines: [],
      streams: new Map(),
      paginated: false,
      journal: parseJournal(request.journal),
      journalOut: null,
      deadlineMs: Date.now() + QUERY_MUTATION_TIMEOUT_MS,
      timeLimitMs: QUERY_MUTATION_TIMEOUT_MS,
      ...(request.scheduledJobId !== undefined ? { scheduledJobId: request.scheduledJobId } : {}),
    };
    return { execution, tx };
  }

  /** The outcome of a function that threw (or whose time ran out). */
  private thrown(error: unknown, execution: Execution, failure: Failure): FunctionOutcome {
    const { requestId } = execution;
    const system = execution.systemError ?? (error instanceof SystemError ? error : undefined);
    if (system !== undefined)
      return { ...failure({ errorMessage: system.message }), systemError: system, transient: true };
    const timedOut = execution.timedOut ?? (error instanceof TimeoutError ? error : undefined);
    if (timedOut !== undefined) {
      // Convex words its time limit as a system error: no `Uncaught`, no stack frame.
      const texts = framedFailure(requestId, timedOut.message, { cause: timedOut.message });
      return { ...failure(texts), transient: true };
    }
    return failure(uncaughtFailure(requestId, error, this.deps.registry().stackMapper));
  }
}
