/**
 * What the benchmark process and its engine child (`engine_child.ts`) say to each other over the
 * IPC channel; the message table is in `engine_child.ts`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CommitterStats } from "../../engine/transactions/committer.ts";
import type { ExecutorStats } from "../../engine/runtime/executor.ts";

/** The repository root: it holds the example app's `convex/`. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A snapshot of the engine's counters; subtract two with `statsDelta`. */
export interface EngineStats {
  readonly committer: CommitterStats;
  readonly executor: ExecutorStats;
  /** CPU time (user + system) the child process used since it started. */
  readonly cpuMicros: number;
  /** `performance.eventLoopUtilization()` of the child: ms its event loop was idle / busy. */
  readonly eventLoop: { readonly idle: number; readonly active: number };
  /** The child's `performance.now()` when the snapshot was taken. */
  readonly wallMs: number;
}

export type ParentMessage = { readonly type: "stats" } | { readonly type: "close" };

export type ChildMessage =
  | { readonly type: "ready"; readonly url: string }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "stats"; readonly stats: EngineStats }
  | { readonly type: "closed" };

/** `later - earlier`, field by field. */
export function statsDelta(earlier: EngineStats, later: EngineStats): EngineStats {
  return {
    committer: {
      commits: later.committer.commits - earlier.committer.commits,
      conflicts: later.committer.conflicts - earlier.committer.conflicts,
      batches: later.committer.batches - earlier.committer.batches,
    },
    executor: {
      queries: later.executor.queries - earlier.executor.queries,
      mutations: later.executor.mutations - earlier.executor.mutations,
      mutationRetries: later.executor.mutationRetries - earlier.executor.mutationRetries,
      actions: later.executor.actions - earlier.executor.actions,
    },
    cpuMicros: later.cpuMicros - earlier.cpuMicros,
    eventLoop: {
      idle: later.eventLoop.idle - earlier.eventLoop.idle,
      active: later.eventLoop.active - earlier.eventLoop.active,
    },
    wallMs: later.wallMs - earlier.wallMs,
  };
}
