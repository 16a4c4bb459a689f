/**
 * `ctx.runQuery` / `ctx.runMutation` from inside a query or mutation: the callee runs in the
 * caller's transaction as a nested transaction (a checkpoint: its writes roll back alone if it
 * throws), in the target's component (`components.<name>.<fn>`: the child's tables, no user
 * identity). Apart from the executor because it shares none of a top-level run's machinery
 * (no slot, no retry, no commit).
 */
import { convexErrorData, errorMessageOf, FunctionFailure, isConvexError } from "../errors.ts";
import { runInExecution, type Execution } from "./execution.ts";
import type { NestedRunner } from "./function_syscalls.ts";
import { identityIn, type ResolvableRequest } from "./function_resolution.ts";
import { checkArgs, checkReturns, type TableNameOfId } from "./function_values.ts";
import type { RegisteredFunction } from "./registry.ts";
import { jsonToConvex } from "convex/values";

/** The nested runner over `resolve` (the executor's, which throws RequestError). */
export function nestedRunner(
  resolve: (request: ResolvableRequest) => RegisteredFunction,
  tableNameOfId: TableNameOfId,
): NestedRunner {
  return async (parent, udfType, target, args) => {
    const tx = parent.tx;
    if (tx === null) throw new FunctionFailure("Nested function calls need a transaction.");
    let fn: RegisteredFunction;
    try {
      fn = resolve({
        path: target.path,
        kind: udfType,
        componentPath: target.componentPath,
        allowInternal: target.allowInternal,
        calledByParent: !target.allowInternal,
      });
    } catch (error) {
      throw new FunctionFailure(errorMessageOf(error));
    }
    const checkedArgs = checkArgs(fn, args, tableNameOfId);
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
      const checked = checkReturns(fn, resultJson, tableNameOfId);
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
}
