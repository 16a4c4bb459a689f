/**
 * What every syscall does first: find the execution it came from (AsyncLocalStorage, see
 * execution.ts), refuse calls outside of one, after it ended or past its deadline, and hand out
 * its transaction. Shared by the syscall tables (database_syscalls.ts, function_syscalls.ts,
 * storage_syscalls.ts).
 */
import { FunctionFailure, TimeoutError, type SystemError } from "../errors.ts";
import { functionTimeoutText } from "../convex_messages.ts";
import type { Transaction } from "../transactions/transaction.ts";
import { namespaceSyscallArgs } from "../components/namespace.ts";
import { currentExecution, type Execution } from "./execution.ts";

/** A syscall's arguments, parsed from the JSON text `convex/server` sends. */
export type SyscallArgs = Record<string, unknown>;

/** A synchronous syscall (`Convex.syscall`): its result is sent back as JSON text. */
export type SyncHandler = (args: SyscallArgs) => unknown;

/** An asynchronous syscall (`Convex.asyncSyscall`): resolves with JSON text. */
export type AsyncHandler = (args: SyscallArgs) => Promise<string> | string;

/**
 * The execution `op` was called from.
 * @throws outside of any execution, after it ended, or (TimeoutError) past its deadline.
 */
export function execution(op: string): Execution {
  const current = currentExecution();
  if (current === undefined) {
    throw new Error(
      `${op} was called outside of a Convex function (at module load time?). Database and auth calls are only allowed inside a query, mutation or action.`,
    );
  }
  if (current.ended === true) {
    throw new FunctionFailure(
      `${op} was called after ${current.path} had returned (a promise left without await?).`,
    );
  }
  if (current.deadlineMs < Date.now()) {
    current.timedOut ??= new TimeoutError(functionTimeoutText(current.timeLimitMs));
    throw current.timedOut;
  }
  return current;
}

/** The transaction of the calling execution. @throws in actions (they have none). */
export function transaction(op: string): Transaction {
  const tx = execution(op).tx;
  if (tx === null) {
    throw new Error(`${op} is not available in actions: use ctx.runQuery / ctx.runMutation.`);
  }
  return tx;
}

/** The component the calling execution belongs to (`""`: the app, or no execution). */
export function callerComponent(): string {
  return currentExecution()?.componentPath ?? "";
}

/** Records `error` on the current execution (so it stands even if caught) and throws it. */
export function raiseSystemError(error: SystemError): never {
  const current = currentExecution();
  if (current !== undefined) current.systemError = error;
  throw error;
}

/** The arguments as the storage layer names tables: a component's tables are its own. */
export function componentArgs(op: string, args: SyscallArgs): SyscallArgs {
  return namespaceSyscallArgs(op, args, callerComponent());
}
