/**
 * The syscalls that reach other functions: `ctx.runQuery` / `ctx.runMutation` from queries and
 * mutations (nested, in the caller's transaction), `ctx.run*` from actions (each a request of
 * its own), `ctx.scheduler` (`runAfter`, `runAt`, `cancel`) and function handles.
 */
import { convexToJson, type Value } from "convex/values";
import { FunctionFailure } from "../errors.ts";
import type { JobScheduling } from "../scheduler/scheduling.ts";
import {
  functionHandleOf,
  resolveFunctionAddress,
  type FunctionTarget,
} from "../components/references.ts";
import { qualifiedPath } from "../components/qualified_path.ts";
import type { Execution } from "./execution.ts";
import { execution, type AsyncHandler, type SyscallArgs } from "./syscall_guards.ts";

/** Runs nested functions (`ctx.runQuery`/`ctx.runMutation` from a query or mutation). */
export type NestedRunner = (
  parent: Execution,
  udfType: "query" | "mutation",
  target: FunctionTarget,
  args: Record<string, unknown>,
) => Promise<Value>;

/** Runs `ctx.runQuery` / `ctx.runMutation` / `ctx.runAction` from an action. */
export type ActionCallRunner = (
  parent: Execution,
  kind: "query" | "mutation" | "action",
  target: FunctionTarget,
  args: unknown,
) => Promise<Value>;

/** `ctx.runQuery` / `runMutation` / `runAction` from an action. */
function actionCall(runFromAction: ActionCallRunner, kind: "query" | "mutation" | "action") {
  return async (args: SyscallArgs): Promise<string> => {
    const exec = execution(`ctx.run${kind}`);
    if (exec.kind !== "action") {
      throw new FunctionFailure(`1.0/actions/${kind} can only be called from an action.`);
    }
    const target = resolveFunctionAddress(exec.componentPath ?? "", args);
    const result = await runFromAction(exec, kind, target, args["args"] ?? {});
    return JSON.stringify(convexToJson(result));
  };
}

/** `ctx.runQuery` / `ctx.runMutation` from a query or mutation (`1.0/runUdf`). */
function nestedCall(runNested: NestedRunner): AsyncHandler {
  return async (args) => {
    const exec = execution("runUdf");
    const target = resolveFunctionAddress(exec.componentPath ?? "", args);
    // `useStaleSnapshot` (a mutation's `snapshotQuery`) reads inside the mutation's own
    // transaction here: never staler than asked, at the cost of a conflict Convex would skip.
    const udfType =
      args["udfType"] === "snapshotQuery" && exec.kind === "mutation" ? "query" : args["udfType"];
    if (udfType !== "query" && udfType !== "mutation") {
      throw new FunctionFailure(
        `ctx.run* from a ${exec.kind} cannot run a function of type ${String(udfType)}.`,
      );
    }
    if (exec.kind === "query" && udfType === "mutation") {
      throw new FunctionFailure("A query cannot run a mutation.");
    }
    const result = await runNested(
      exec,
      udfType,
      target,
      (args["args"] ?? {}) as Record<string, unknown>,
    );
    return JSON.stringify(convexToJson(result));
  };
}

/** `ctx.scheduler.runAfter` / `runAt` (`kind`: where the syscall is allowed). */
async function schedule(
  scheduler: JobScheduling,
  kind: "mutation" | "action",
  args: SyscallArgs,
): Promise<string> {
  const exec = execution("ctx.scheduler");
  if (exec.kind !== kind)
    throw new FunctionFailure(`ctx.scheduler is not available in a ${exec.kind}.`);
  const target = resolveFunctionAddress(exec.componentPath ?? "", args);
  // A component's function by its qualified path; a parent's `components.<name>.<fn>`: public only.
  const name = qualifiedPath(target.componentPath, target.path);
  const id = await scheduler.schedule(exec, name, args, !target.allowInternal);
  return JSON.stringify(id);
}

/** `ctx.scheduler.cancel`. */
async function cancelJob(
  scheduler: JobScheduling,
  kind: "mutation" | "action",
  args: SyscallArgs,
): Promise<string> {
  const exec = execution("ctx.scheduler.cancel");
  if (exec.kind !== kind)
    throw new FunctionFailure(`ctx.scheduler is not available in a ${exec.kind}.`);
  return JSON.stringify(await scheduler.cancel(exec, args));
}

/** The syscalls that run, schedule or name functions. */
export function functionSyscalls(deps: {
  readonly runNested: NestedRunner;
  readonly runFromAction: ActionCallRunner;
  readonly scheduler: JobScheduling;
}): Record<string, AsyncHandler> {
  const { runFromAction, scheduler } = deps;
  return {
    "1.0/runUdf": nestedCall(deps.runNested),
    "1.0/schedule": (args) => schedule(scheduler, "mutation", args),
    "1.0/cancel_job": (args) => cancelJob(scheduler, "mutation", args),
    "1.0/actions/schedule": (args) => schedule(scheduler, "action", args),
    "1.0/actions/cancel_job": (args) => cancelJob(scheduler, "action", args),
    "1.0/actions/query": actionCall(runFromAction, "query"),
    "1.0/actions/mutation": actionCall(runFromAction, "mutation"),
    "1.0/actions/action": actionCall(runFromAction, "action"),
    "1.0/getFunctionMetadata": () => {
      const exec = execution("getFunctionMetadata");
      return JSON.stringify({ name: exec.path, componentPath: exec.componentPath ?? "" });
    },
    "1.0/createFunctionHandle": (args) => {
      const exec = execution("createFunctionHandle");
      return JSON.stringify(
        functionHandleOf(resolveFunctionAddress(exec.componentPath ?? "", args)),
      );
    },
  };
}
