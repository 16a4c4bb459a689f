/**
 * Runs Convex functions: resolves the path, validates arguments, executes the handler in its own
 * execution context (transaction, frozen clock, seeded random), validates the result, and for
 * mutations commits with OCC, retrying conflicts (the retry runs exclusively, see mutation_gate).
 * Actions run without a transaction, once (action_runner.ts).
 *
 * This module is the coordinator: dispatch by kind, the mutation retry loop and the counters.
 * Resolution (function_resolution.ts), argument and result checks (function_values.ts), one
 * attempt in an execution slot (execution_attempt.ts), nested calls (nested_calls.ts) and the
 * outcome builders (function_outcomes.ts) live beside it; the public types in executor_types.ts.
 */
import { ConflictError, errorMessageOf, FunctionFailure, SystemError } from "../errors.ts";
import { ActionRunner, type ActionCall } from "./action_runner.ts";
import { decodeDocumentId } from "../values/document_id.ts";
import { newRequestId } from "./execution.ts";
import { MutationGate } from "./mutation_gate.ts";
import type { RegisteredFunction } from "./registry.ts";
import { nestedFailureText, occText } from "../convex_messages.ts";
import { AttemptRunner } from "./execution_attempt.ts";
import type {
  ExecutorDeps,
  ExecutorStats,
  FunctionOutcome,
  FunctionRequest,
} from "./executor_types.ts";
import { framedFailure, requestFailure, systemFailure } from "./function_outcomes.ts";
import {
  componentOf,
  identityIn,
  resolveFunction,
  type ResolvableRequest,
} from "./function_resolution.ts";
import { checkArgs, checkReturns } from "./function_values.ts";
import { nestedRunner } from "./nested_calls.ts";
import { uncaughtLine } from "./uncaught.ts";

export { MAX_CONCURRENT_EXECUTIONS, QUERY_MUTATION_TIMEOUT_MS } from "./execution_attempt.ts";
export {
  RunSkipped,
  type ExecutorDeps,
  type ExecutorStats,
  type FunctionOutcome,
  type FunctionRequest,
  type TransactionHooks,
} from "./executor_types.ts";

/** Attempts of a mutation before an OCC conflict is reported to the caller. */
export const MAX_MUTATION_ATTEMPTS = 5;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Executor {
  readonly stats: ExecutorStats = { queries: 0, mutations: 0, mutationRetries: 0, actions: 0 };
  /** Mutations and actions started and not finished (graceful shutdown waits for them). */
  writesInFlight = 0;
  private readonly gate = new MutationGate();
  private readonly attempts: AttemptRunner;
  private readonly actions: ActionRunner;

  constructor(private readonly deps: ExecutorDeps) {
    this.attempts = new AttemptRunner(deps, this.tableNameOfId);
    this.actions = new ActionRunner({
      call: (call) => this.callFromAction(call),
      checkReturns: (fn, resultJson) => checkReturns(fn, resultJson, this.tableNameOfId),
      describeError: (error) => uncaughtLine(error, this.deps.registry().stackMapper),
      now: deps.now ?? Date.now,
      ...(deps.actionTimeoutMs !== undefined ? { timeoutMs: deps.actionTimeoutMs } : {}),
    });
  }

  /** `ctx.runQuery` / `ctx.runMutation` / `ctx.runAction` from an action (for the syscalls). */
  get runFromAction(): ActionRunner["callFrom"] {
    return this.actions.callFrom;
  }

  /**
   * A call from an action: a request of its own. A failure is rethrown as Convex hands it to the
   * calling action: the callee's failure text without the request-id framing (the text of a
   * request refused before any function ran, or of a system error, as it is), with its
   * ConvexError data.
   */
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
      const message =
        outcome.detail === undefined ? outcome.errorMessage : nestedFailureText(outcome.detail);
      throw new FunctionFailure(message, outcome.errorData);
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
  resolve(request: ResolvableRequest): RegisteredFunction {
    return resolveFunction(request, this.deps.registry, this.deps.components);
  }

  /**
   * `ctx.runQuery` / `ctx.runMutation` from inside a query or mutation (nested_calls.ts): in the
   * caller's transaction, in the target's component.
   */
  runNested = nestedRunner((request) => this.resolve(request), this.tableNameOfId);

  /** Runs a function from a client request. Never throws for function errors. */
  async run(request: FunctionRequest): Promise<FunctionOutcome> {
    let fn: RegisteredFunction;
    try {
      fn = this.resolve(request);
    } catch (error) {
      // Convex answers an unknown, internal or mismatched function as a failed function call.
      return requestFailure({ errorMessage: errorMessageOf(error) });
    }
    const requestId = newRequestId();
    const args = checkArgs(fn, request.args, this.tableNameOfId, request.argsJson);
    if ("error" in args) {
      return requestFailure(framedFailure(requestId, args.error));
    }
    // The function takes its arguments as the JSON text of a one-element array.
    const argsJson = `[${args.json}]`;
    if (fn.kind === "action") return this.runAction(fn, argsJson, requestId, request);
    if (fn.kind === "query") {
      this.stats.queries++;
      return this.attempts.attempt(fn, argsJson, requestId, request, true);
    }
    return this.runMutation(fn, argsJson, requestId, request);
  }

  /** An action: once, without a transaction; successes carry the latest published ts. */
  private async runAction(
    fn: RegisteredFunction,
    argsJson: string,
    requestId: string,
    request: FunctionRequest,
  ): Promise<FunctionOutcome> {
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

  /** A mutation: attempts under the shared gate; after a conflict, retries alone. */
  private async runMutation(
    fn: RegisteredFunction,
    argsJson: string,
    requestId: string,
    request: FunctionRequest,
  ): Promise<FunctionOutcome> {
    this.stats.mutations++;
    this.writesInFlight++;
    // Without a promise when the gate is open (no retry running or queued): the common case.
    let release = this.gate.tryEnterShared() ?? (await this.gate.enterShared());
    try {
      for (let attempt = 1; ; attempt++) {
        let outcome: ConflictError;
        try {
          return await this.attempts.attempt(fn, argsJson, requestId, request, false);
        } catch (error) {
          if (!(error instanceof ConflictError)) {
            if (error instanceof Error) throw error;
            return error as FunctionOutcome;
          }
          outcome = error;
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
}
