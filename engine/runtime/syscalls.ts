/**
 * The global `Convex` object: the syscall table the unmodified `convex/server` package calls.
 * Each call is routed to the execution it came from (syscall_guards.ts), so many executions
 * can be in flight at once. Arguments and results are JSON text, as in Convex's runtime.
 *
 * The handlers live by concern: database_syscalls.ts and database_write_syscalls.ts (`ctx.db`), function_syscalls.ts
 * (`ctx.run*`, `ctx.scheduler`, function handles), context_syscalls.ts (identity, metadata,
 * system errors, vector search), storage_syscalls.ts (`ctx.storage`). This file joins them into
 * one table per kind of call and turns failures into what `convex/server` expects.
 */
import { errorMessageOf } from "../errors.ts";
import type { FileStorage } from "../files/file_storage.ts";
import type { JobScheduling } from "../scheduler/scheduling.ts";
import type { SearchIndexes } from "../search/index.ts";
import type { ConvexGlobal } from "./sandbox.ts";
import { storageSyscalls } from "./storage_syscalls.ts";
import { databaseReadSyscalls, databaseSyncSyscalls } from "./database_syscalls.ts";
import { databaseWriteSyscalls } from "./database_write_syscalls.ts";
import { functionSyscalls, type ActionCallRunner, type NestedRunner } from "./function_syscalls.ts";
import { contextAsyncSyscalls, contextSyncSyscalls, type JwtSigning } from "./context_syscalls.ts";
import type { CursorKeys } from "./page_cursor.ts";
import {
  componentArgs,
  execution,
  type AsyncHandler,
  type SyncHandler,
  type SyscallArgs,
} from "./syscall_guards.ts";

export type { ActionCallRunner, NestedRunner } from "./function_syscalls.ts";

/** What the syscall table calls back into. */
export interface SyscallDeps {
  readonly runNested: NestedRunner;
  readonly runFromAction: ActionCallRunner;
  readonly nextStreamId: () => number;
  /** File storage (`ctx.storage`). */
  readonly files: FileStorage;
  /** `ctx.scheduler` (`runAfter`, `runAt`, `cancel`) from mutations and actions. */
  readonly scheduler: JobScheduling;
  /** Search and vector indexes (`ctx.vectorSearch`). */
  readonly search: SearchIndexes;
  /** What pagination cursors are sealed with (page_cursor.ts). */
  readonly cursorKeys: CursorKeys;
  /** What `ctx.auth.signJwt` signs with. */
  readonly jwtSigning: JwtSigning;
}

function unsupported(op: string): Error {
  return new Error(`Unsupported syscall ${op} (not implemented by this backend).`);
}

/**
 * What a failed async syscall rejects with: `performAsyncSyscall` rethrows with `.message`
 * (and `.data` for ConvexErrors).
 */
function rejection(error: unknown): { message: string; data?: unknown } {
  if (typeof error === "object" && error !== null && "data" in error && error.data !== undefined) {
    return { message: errorMessageOf(error), data: error.data };
  }
  return { message: errorMessageOf(error) };
}

/** A promise rejected with `reason` (a plain `{message}` is what `convex/server` reads). */
function rejected(reason: unknown): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- convex/server's shape
  return Promise.reject(reason);
}

/** Builds the `Convex` global for one engine. */
export function createConvexGlobal(deps: SyscallDeps): ConvexGlobal {
  const storage = storageSyscalls(deps.files, execution);
  const syncOps: Record<string, SyncHandler> = {
    ...databaseSyncSyscalls(deps.nextStreamId),
    ...contextSyncSyscalls(),
  };
  const asyncOps: Record<string, AsyncHandler> = {
    ...databaseReadSyscalls(deps.cursorKeys),
    ...databaseWriteSyscalls(),
    ...functionSyscalls(deps),
    ...contextAsyncSyscalls(deps.search, deps.jwtSigning),
    ...storage.async,
  };

  return {
    syscall(op, jsonArgs) {
      const handler = syncOps[op];
      if (handler === undefined) throw unsupported(op);
      return JSON.stringify(handler(componentArgs(op, JSON.parse(jsonArgs) as SyscallArgs)));
    },
    asyncSyscall(op, jsonArgs) {
      const handler = asyncOps[op];
      if (handler === undefined) return rejected(unsupported(op));
      let answer: Promise<string> | string;
      try {
        answer = handler(componentArgs(op, JSON.parse(jsonArgs) as SyscallArgs));
      } catch (error) {
        return rejected(rejection(error));
      }
      // No async frame: a handler that answered at once (every write) costs one resolved promise.
      return typeof answer === "string"
        ? Promise.resolve(answer)
        : answer.then(undefined, (error: unknown) => rejected(rejection(error)));
    },
    jsSyscall(op, args) {
      const handler = storage.js[op];
      if (handler !== undefined) return handler(args);
      throw unsupported(op);
    },
  };
}
