/**
 * Runs actions. An action has no transaction and is not reactive: it reaches the database only
 * through `ctx.runQuery` / `ctx.runMutation`, each a request of its own (a query reads the latest
 * commit, a mutation commits on its own, so the action reads its own writes), and may call other
 * actions with `ctx.runAction`. It sees the real clock, real randomness, `fetch` and timers.
 *
 * An action runs at most once: it is never retried (a failure, a timeout or a lost connection is
 * reported to the caller, which decides). Past its time limit the caller gets a timeout error;
 * the action's code cannot be stopped, but its later syscalls are refused and its timers cleared.
 */
import { jsonToConvex, type Value } from "convex/values";
import { serverErrorText } from "../convex_messages.ts";
import { convexErrorData, errorMessageOf, isConvexError } from "../errors.ts";
import { withTimeout } from "./deadline.ts";
import { runInExecution, type Execution, type UserIdentity } from "./execution.ts";
import type { RegisteredFunction } from "./registry.ts";
import type { FunctionTarget } from "../components/references.ts";

/** Convex's limit on an action's run time: 10 minutes. */
export const ACTION_TIMEOUT_MS = 600_000;

/** What a function call made from an action asks for. */
export interface ActionCall {
  /** The function, resolved against the calling action's component. */
  readonly target: FunctionTarget;
  readonly kind: "query" | "mutation" | "action";
  /** Convex-encoded JSON of the arguments object. */
  readonly args: unknown;
  readonly identity: UserIdentity | null;
}

/** The outcome of an action (the executor's outcome shape, without reads). */
export type ActionOutcome =
  | { readonly status: "success"; readonly value: unknown; readonly logLines: string[] }
  | {
      readonly status: "error";
      readonly errorMessage: string;
      readonly errorData?: unknown;
      /** The thrown error's own message. */
      readonly cause: string;
      /** The failure as Convex displays it, without the request-id framing. */
      readonly detail: string;
      readonly logLines: string[];
    };

export interface ActionRunnerDeps {
  /**
   * Runs a query, mutation or action as a request of its own (internal functions allowed when
   * the target says so), resolving to the convex-encoded result or rejecting with a FunctionFailure.
   */
  readonly call: (call: ActionCall) => Promise<unknown>;
  /** Validates a result against the function's `returns`. */
  readonly checkReturns: (
    fn: RegisteredFunction,
    resultJson: string,
  ) => { value: unknown } | { error: string };
  /** A thrown error as Convex displays it after the request-id framing (`Uncaught Error: ...`). */
  readonly describeError: (error: unknown) => string;
  /** @default ACTION_TIMEOUT_MS // ms */
  readonly timeoutMs?: number;
  /** The clock the action sees as `Date.now()`. @default Date.now // ms */
  readonly now?: () => number;
}

export class ActionRunner {
  constructor(private readonly deps: ActionRunnerDeps) {}

  /** The action time limit in ms. */
  get timeoutMs(): number {
    return this.deps.timeoutMs ?? ACTION_TIMEOUT_MS;
  }

  /** Runs `fn` once with validated arguments (`argsJson`: JSON text of `[args]`). Never throws. */
  async run(
    fn: RegisteredFunction,
    argsJson: string,
    requestId: string,
    identity: UserIdentity | null,
    scheduledJobId?: string,
    componentPath = "",
  ): Promise<ActionOutcome> {
    const now = this.deps.now ?? Date.now;
    const nowMs = now();
    const execution: Execution = {
      kind: "action",
      path: fn.path,
      componentPath,
      requestId,
      tx: null,
      nowMs,
      random: Math.random,
      identity,
      logLines: [],
      streams: new Map(),
      paginated: false,
      journal: null,
      journalOut: null,
      deadlineMs: Date.now() + this.timeoutMs,
      timeLimitMs: this.timeoutMs,
      timers: new Set(),
      now,
      ...(scheduledJobId !== undefined ? { scheduledJobId } : {}),
    };
    try {
      const resultJson = await withTimeout(
        runInExecution(execution, () => fn.invoke(argsJson, requestId)),
        this.timeoutMs,
      );
      const checked = this.deps.checkReturns(fn, resultJson);
      if ("error" in checked) {
        return {
          status: "error",
          errorMessage: serverErrorText(requestId, checked.error),
          cause: checked.error,
          detail: checked.error,
          logLines: execution.logLines,
        };
      }
      return { status: "success", value: checked.value, logLines: execution.logLines };
    } catch (error) {
      const detail = this.deps.describeError(error);
      return {
        status: "error",
        errorMessage: serverErrorText(requestId, detail),
        ...(isConvexError(error) ? { errorData: convexErrorData(error) } : {}),
        cause: errorMessageOf(error),
        detail,
        logLines: execution.logLines,
      };
    } finally {
      end(execution);
    }
  }

  /**
   * `ctx.runQuery` / `ctx.runMutation` / `ctx.runAction` from the action `parent`, under its
   * identity. @throws FunctionFailure (with the ConvexError data, if any) when the call fails.
   */
  callFrom = async (
    parent: Execution,
    kind: ActionCall["kind"],
    target: FunctionTarget,
    args: unknown,
  ): Promise<Value> => {
    const value = await this.deps.call({ target, kind, args, identity: parent.identity });
    return jsonToConvex(value as never);
  };
}

/** Marks an execution finished: its dangling timers are cleared, later syscalls refused. */
export function end(execution: Execution): void {
  execution.ended = true;
  for (const timer of execution.timers ?? []) clearTimeout(timer);
  execution.timers?.clear();
}
