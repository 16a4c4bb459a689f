/**
 * Runs Convex functions: resolves the path, validates arguments, executes the handler in its own
 * execution context (transaction, frozen clock, seeded random), validates the result, and for
 * mutations commits with OCC, retrying conflicts (the retry runs exclusively, see mutation_gate).
 * Actions run without a transaction, once (action_runner.ts).
 */
import { jsonToConvex, type Value } from "convex/values";
import {
  ConflictError,
  convexErrorData,
  FunctionFailure,
  RequestError,
  SystemError,
  TimeoutError,
  errorMessageOf,
  isConvexError,
} from "../errors.ts";
import { ActionRunner, type ActionCall } from "./action_runner.ts";
import { withTimeout } from "./deadline.ts";
import type { DocumentStore } from "../storage/document_store.ts";
import type { TableRegistry } from "../storage/table_registry.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import type { ReadSet } from "../transactions/read_set.ts";
import { Transaction, type WriteCheck } from "../transactions/transaction.ts";
import { decodeDocumentId } from "../values/document_id.ts";
import {
  MAX_FUNCTION_ARGS_SIZE,
  MAX_FUNCTION_RESULT_SIZE,
  TooNestedArguments,
} from "../values/limits.ts";
import { jsonValueNestsBeyond, TOO_NESTED_MESSAGE } from "../../lib/json_depth.ts";
import {
  argumentValidationMessage,
  returnsValidationMessage,
  validateValue,
} from "../values/validate.ts";
import {
  newRequestId,
  runInExecution,
  parseJournal,
  seededRandom,
  type Execution,
  type FunctionKind,
  type UserIdentity,
} from "./execution.ts";
import { MutationGate } from "./mutation_gate.ts";
import { Semaphore } from "./semaphore.ts";
import type { FunctionRegistry, RegisteredFunction } from "./registry.ts";
import { functionNotFoundText, occText, serverErrorText } from "../convex_messages.ts";
import { uncaughtLine } from "./uncaught.ts";
import type { StackMapper } from "./stack_frames.ts";
import type { ComponentSet } from "../components/component_set.ts";
import type { FunctionTarget } from "../components/references.ts";
import { splitQualifiedPath } from "../components/qualified_path.ts";

/** Convex's limit on user code time in a query or mutation. */
export const QUERY_MUTATION_TIMEOUT_MS = 1_000;
/** How many executions run user code at the same time. */
export const MAX_CONCURRENT_EXECUTIONS = 64;
/** Attempts of a mutation before an OCC conflict is reported to the caller. */
export const MAX_MUTATION_ATTEMPTS = 5;

export interface FunctionRequest {
  /** The path as the client sent it (`orders:placeOrder`, `orders` for a default export). */
  readonly path: string;
  /** The kind the caller asked for; a mismatch is refused as Convex does. */
  readonly kind: FunctionKind;
  /** Convex-encoded JSON of the arguments object. */
  readonly args: unknown;
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
      /** What the function threw, without the request-id framing (what a calling action sees). */
      readonly cause?: string;
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

function kindLabel(kind: FunctionKind): string {
  return kind === "query" ? "Query" : kind === "mutation" ? "Mutation" : "Action";
}

/** A failed function's message: the request-id framing, the Uncaught line and its frame. */
function formatUncaught(requestId: string, error: unknown, mapper: StackMapper | null): string {
  return serverErrorText(requestId, uncaughtLine(error, mapper));
}

/** The outcome of a system error, before or after the function ran. */
function systemFailure(
  error: SystemError,
  logLines: string[] = [],
): Extract<FunctionOutcome, { status: "error" }> {
  return {
    status: "error",
    errorMessage: error.message,
    logLines,
    ts: null,
    readSet: null,
    observedIdentity: false,
    systemError: error,
  };
}

/** The component a request's function belongs to (`""`: the app). */
function componentOf(request: Pick<FunctionRequest, "path" | "componentPath">): string {
  return request.componentPath ?? splitQualifiedPath(request.path).componentPath;
}

/** Components never see the caller's identity (Convex gives them no `ctx.auth`). */
function identityIn(componentPath: string, identity: UserIdentity | null): UserIdentity | null {
  return componentPath === "" ? identity : null;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Executor {
  readonly stats: ExecutorStats = { queries: 0, mutations: 0, mutationRetries: 0, actions: 0 };
  /** Mutations and actions started and not finished (graceful shutdown waits for them). */
  writesInFlight = 0;
  private readonly gate = new MutationGate();
  /** Executions whose user code runs at once (the rest wait for a slot). */
  private readonly slots = new Semaphore(MAX_CONCURRENT_EXECUTIONS);

  private readonly actions: ActionRunner;

  constructor(private readonly deps: ExecutorDeps) {
    this.actions = new ActionRunner({
      call: (call) => this.callFromAction(call),
      checkReturns: (fn, resultJson) => this.checkReturns(fn, resultJson),
      formatError: (requestId, error) =>
        formatUncaught(requestId, error, this.deps.registry().stackMapper),
      now: deps.now ?? Date.now,
      ...(deps.actionTimeoutMs !== undefined ? { timeoutMs: deps.actionTimeoutMs } : {}),
    });
  }

  /** `ctx.runQuery` / `ctx.runMutation` / `ctx.runAction` from an action (for the syscalls). */
  get runFromAction(): ActionRunner["callFrom"] {
    return this.actions.callFrom;
  }

  /** A call from an action: a request of its own; a failure rethrown with its ConvexError data. */
  private async callFromAction(call: ActionCall): Promise<unknown> {
    const { target, ...rest } = call;
    const outcome = await this.run({
      ...rest,
      path: target.path,
      componentPath: target.componentPath,
      allowInternal: target.allowInternal,
      calledByParent: !target.allowInternal,
    });
    if (outcome.status === "error") {
      throw new FunctionFailure(outcome.cause ?? outcome.errorMessage, outcome.errorData);
    }
    return outcome.value;
  }

  /** The table of a document id, for `v.id` validation. */
  tableNameOfId = (id: string): string | null => {
    const decoded = decodeDocumentId(id);
    return decoded === null ? null : this.deps.tables.nameOf(decoded.tableNumber);
  };

  /**
   * Resolves a request to a function.
   * @throws RequestError for unknown or internal functions and for a kind mismatch.
   */
  resolve(
    request: Pick<
      FunctionRequest,
      "path" | "kind" | "allowInternal" | "componentPath" | "calledByParent"
    >,
  ): RegisteredFunction {
    const qualified = splitQualifiedPath(request.path);
    const componentPath = componentOf(request);
    const trusted = request.allowInternal === true || request.calledByParent === true;
    const registry =
      componentPath === ""
        ? this.deps.registry()
        : trusted
          ? this.deps.components?.().instance(componentPath)?.registry
          : undefined;
    const fn = registry?.lookup(qualified.path);
    if (fn === undefined || (fn.visibility === "internal" && request.allowInternal !== true)) {
      throw new RequestError("BadConvexFunctionIdentifier", functionNotFoundText(qualified.path));
    }
    if (fn.kind !== request.kind) {
      throw new RequestError(
        "InvalidFunctionKind",
        `Trying to execute ${fn.path} as ${kindLabel(request.kind)}, but it is defined as ${kindLabel(fn.kind)}.`,
      );
    }
    return fn;
  }

  /** Decodes and validates arguments; returns a failure message or the decoded value. */
  private checkArgs(
    fn: RegisteredFunction,
    args: unknown,
  ): { value: Value; json: string } | { error: string } {
    // Before anything recurses into them (the arguments object itself is level 1).
    if (args instanceof TooNestedArguments || jsonValueNestsBeyond(args)) {
      return { error: `ArgumentValidationError: ${TOO_NESTED_MESSAGE}` };
    }
    const json = JSON.stringify(args ?? {});
    if (json.length > MAX_FUNCTION_ARGS_SIZE) {
      return {
        error: `Arguments for ${fn.path} are too large (${json.length} bytes, maximum ${MAX_FUNCTION_ARGS_SIZE}).`,
      };
    }
    let value: Value;
    try {
      value = jsonToConvex(args as never);
    } catch (error) {
      return { error: `ArgumentValidationError: ${errorMessageOf(error)}` };
    }
    if (
      typeof value !== "object" ||
      value === null ||
      Array.isArray(value) ||
      value instanceof ArrayBuffer
    ) {
      return {
        error: `ArgumentValidationError: Arguments must be an object, got ${JSON.stringify(args)}.`,
      };
    }
    const failure = validateValue(fn.args, value, { tableNameOfId: this.tableNameOfId });
    if (failure !== null) return { error: argumentValidationMessage(failure) };
    return { value, json };
  }

  private checkReturns(
    fn: RegisteredFunction,
    resultJson: string,
  ): { value: unknown } | { error: string } {
    if (resultJson.length > MAX_FUNCTION_RESULT_SIZE) {
      return {
        error: `Function ${fn.path} returned too large a value (${resultJson.length} bytes, maximum ${MAX_FUNCTION_RESULT_SIZE}).`,
      };
    }
    const encoded = JSON.parse(resultJson) as unknown;
    if (fn.returns !== null) {
      const failure = validateValue(fn.returns, jsonToConvex(encoded as never), {
        tableNameOfId: this.tableNameOfId,
      });
      if (failure !== null) return { error: returnsValidationMessage(failure) };
    }
    return { value: encoded };
  }

  /** Runs a function from a client request. Never throws for function errors. */
  async run(request: FunctionRequest): Promise<FunctionOutcome> {
    let fn: RegisteredFunction;
    try {
      fn = this.resolve(request);
    } catch (error) {
      // Convex answers an unknown, internal or mismatched function as a failed function call.
      return {
        status: "error",
        errorMessage: errorMessageOf(error),
        logLines: [],
        ts: null,
        readSet: null,
        observedIdentity: false,
      };
    }
    const requestId = newRequestId();
    const args = this.checkArgs(fn, request.args);
    if ("error" in args) {
      return {
        status: "error",
        errorMessage: `[Request ID: ${requestId}] Server Error\n${args.error}`,
        logLines: [],
        ts: null,
        readSet: null,
        observedIdentity: false,
      };
    }
    // The function takes its arguments as the JSON text of a one-element array.
    const argsJson = `[${args.json}]`;
    if (fn.kind === "action") {
      this.stats.actions++;
      this.writesInFlight++;
      const componentPath = componentOf(request);
      const outcome = await this.actions
        .run(
          fn,
          argsJson,
          requestId,
          identityIn(componentPath, request.identity),
          request.scheduledJobId,
          componentPath,
        )
        .finally(() => this.writesInFlight--);
      const common = { readSet: null, observedIdentity: false };
      return outcome.status === "success"
        ? { ...outcome, ...common, ts: this.deps.committer.publishedTs }
        : { ...outcome, ...common, ts: null };
    }
    if (fn.kind === "query") {
      this.stats.queries++;
      return this.attempt(fn, argsJson, requestId, request, true);
    }
    this.stats.mutations++;
    this.writesInFlight++;
    let release = await this.gate.enterShared();
    try {
      for (let attempt = 1; ; attempt++) {
        const outcome = await this.attempt(fn, argsJson, requestId, request, false).catch(
          (error: unknown) => error,
        );
        if (!(outcome instanceof ConflictError)) {
          if (outcome instanceof Error) throw outcome;
          return outcome as FunctionOutcome;
        }
        if (attempt >= MAX_MUTATION_ATTEMPTS) {
          return {
            ...systemFailure(
              new SystemError("OptimisticConcurrencyControlFailure", occText(outcome.table)),
            ),
            conflicted: true,
          };
        }
        this.stats.mutationRetries++;
        release();
        // Jittered backoff, then retry alone so the retry cannot lose the race again.
        await delay(Math.random() * Math.min(2 ** attempt, 20));
        release = await this.gate.enterExclusive();
      }
    } finally {
      release();
      this.writesInFlight--;
    }
  }

  /**
   * `ctx.runQuery` / `ctx.runMutation` from inside a query or mutation: runs in the caller's
   * transaction as a nested transaction (its writes roll back alone if it throws), in the
   * target's component (`components.<name>.<fn>`: the child's tables, no user identity).
   */
  runNested = async (
    parent: Execution,
    udfType: "query" | "mutation",
    target: FunctionTarget,
    args: Record<string, unknown>,
  ): Promise<Value> => {
    const tx = parent.tx;
    if (tx === null) throw new FunctionFailure("Nested function calls need a transaction.");
    let fn: RegisteredFunction;
    try {
      fn = this.resolve({
        path: target.path,
        kind: udfType,
        componentPath: target.componentPath,
        allowInternal: target.allowInternal,
        calledByParent: !target.allowInternal,
      });
    } catch (error) {
      throw new FunctionFailure(errorMessageOf(error));
    }
    const checkedArgs = this.checkArgs(fn, args);
    if ("error" in checkedArgs) throw new FunctionFailure(checkedArgs.error);
    const child: Execution = {
      ...parent,
      kind: fn.kind,
      path: fn.path,
      componentPath: target.componentPath,
      identity: identityIn(target.componentPath, parent.identity),
      streams: new Map(),
      paginated: false,
      journal: null,
      journalOut: null,
    };
    const checkpoint = tx.checkpoint();
    try {
      const resultJson = await runInExecution(child, () =>
        fn.invoke(`[${checkedArgs.json}]`, parent.requestId),
      );
      const checked = this.checkReturns(fn, resultJson);
      if ("error" in checked) throw new FunctionFailure(checked.error);
      return jsonToConvex(checked.value as never);
    } catch (error) {
      tx.restore(checkpoint);
      if (isConvexError(error)) {
        const data = convexErrorData(error);
        throw Object.assign(new FunctionFailure(errorMessageOf(error), data), {});
      }
      throw error;
    } finally {
      for (const stream of child.streams.values()) stream.close();
    }
  };

  /** One attempt; throws ConflictError when a mutation's commit conflicts. */
  private async attempt(
    fn: RegisteredFunction,
    argsJson: string,
    requestId: string,
    request: FunctionRequest,
    readOnly: boolean,
  ): Promise<FunctionOutcome> {
    const releaseSlot = await this.slots.acquire();
    try {
      return await this.attemptInSlot(fn, argsJson, requestId, request, readOnly, releaseSlot);
    } finally {
      releaseSlot();
    }
  }

  private async attemptInSlot(
    fn: RegisteredFunction,
    argsJson: string,
    requestId: string,
    request: FunctionRequest,
    readOnly: boolean,
    releaseSlot: () => void,
  ): Promise<FunctionOutcome> {
    const { execution, tx } = this.beginExecution(fn, request, requestId, readOnly);
    if (request.hooks !== undefined && !request.hooks.begin(tx)) {
      tx.abort();
      throw new RunSkipped(fn.path);
    }
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
      return { ...failure(system.message), systemError: system, transient: true };
    const checked = this.checkReturns(fn, resultJson);
    if ("error" in checked) return failure(serverErrorText(requestId, checked.error));
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
      return failure(
        `[Request ID: ${requestId}] Server Error\nCommit failed: ${errorMessageOf(error)}`,
      );
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
      return { ...failure(system.message), systemError: system, transient: true };
    const timedOut = execution.timedOut ?? (error instanceof TimeoutError ? error : undefined);
    if (timedOut !== undefined) {
      // Convex words its time limit as a system error: no `Uncaught`, no stack frame.
      const text = serverErrorText(requestId, timedOut.message);
      return { ...failure(text, undefined, timedOut.message), transient: true };
    }
    const mapper = this.deps.registry().stackMapper;
    const data = isConvexError(error) ? convexErrorData(error) : undefined;
    return failure(formatUncaught(requestId, error, mapper), data, errorMessageOf(error));
  }
}

type Failure = (
  errorMessage: string,
  errorData?: unknown,
  cause?: string,
) => Extract<FunctionOutcome, { status: "error" }>;

/** How `execution` fails: a read-only one keeps its read set, a writing one aborts. */
function failureOf(execution: Execution, tx: Transaction, readOnly: boolean): Failure {
  return (errorMessage, errorData, cause) => ({
    status: "error",
    errorMessage,
    ...(errorData !== undefined ? { errorData } : {}),
    ...(cause !== undefined ? { cause } : {}),
    logLines: execution.logLines,
    ts: null,
    readSet: readOnly ? tx.finishRead() : (tx.abort(), null),
    observedIdentity: tx.observedIdentity,
    journal: execution.journalOut,
  });
}

function succeeded(
  execution: Execution,
  tx: Transaction,
  value: unknown,
  ts: Timestamp,
): Extract<FunctionOutcome, { status: "success" }> {
  return {
    status: "success",
    value,
    logLines: execution.logLines,
    ts,
    readSet: null,
    observedIdentity: tx.observedIdentity,
  };
}
