/**
 * The reactivity benchmarks run the backend in their own process (unlike the throughput
 * benchmarks, which fork it): they read the live-query counters (`engine.liveQueries.stats`) and
 * take the commit instant from `engine.committer.onPublish` on the same clock as the
 * subscribers' receipts. The price: subscribers, mutator and engine share one event loop, so
 * client-side work (parsing Transitions, the official client's bookkeeping) is part of every
 * latency printed.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import {
  startBackend,
  type Backend,
  type BackendOptions,
  type Durability,
} from "../../engine/index.ts";
import type { PublishedCommit } from "../../engine/transactions/committer.ts";
import { tempDir } from "./harness.ts";
import { REPO_ROOT } from "./protocol.ts";

/** A backend on port 0 serving the example app, with a fresh data file in a temp folder. */
export interface InProcessBackend extends AsyncDisposable {
  readonly backend: Backend;
  readonly url: string;
}

/**
 * Starts the example app's backend (no file watching, no log) on a fresh data file. Disposing
 * it closes the backend (and every socket it holds), then removes the temp folder.
 */
export async function startInProcessBackend(
  durability: Durability,
  extra: Partial<BackendOptions> = {},
): Promise<InProcessBackend> {
  const dir = tempDir("convex-graphql-bench-");
  let backend: Backend;
  try {
    backend = await startBackend({
      dir: REPO_ROOT,
      port: 0,
      sitePort: 0,
      dataFile: path.join(dir.path, "engine.sqlite3"),
      durability,
      watch: false,
      log: () => {},
      ...extra,
    });
  } catch (error) {
    await dir[Symbol.asyncDispose]();
    throw error;
  }
  return {
    backend,
    url: backend.url,
    async [Symbol.asyncDispose]() {
      try {
        await backend.close();
      } finally {
        await dir[Symbol.asyncDispose]();
      }
    },
  };
}

/** One published commit, stamped with `performance.now()` when the committer published it. */
export interface StampedCommit {
  readonly commit: PublishedCommit;
  readonly atMs: number;
}

/**
 * Records every commit the backend publishes, with its instant, until disposed. Publish
 * listeners run synchronously in the committer's publish loop, in the order they were added:
 * the live-query index (added when the engine started) has already marked the results the
 * commit invalidates and scheduled their sessions' updates, but nothing has been sent yet, so
 * the stamp is at most that marking (microseconds) late and precedes every Transition.
 */
export function recordCommits(
  backend: Backend,
): { readonly commits: StampedCommit[] } & Disposable {
  const commits: StampedCommit[] = [];
  const stop = backend.engine.committer.onPublish((commit) => {
    commits.push({ commit, atMs: performance.now() });
  });
  return {
    commits,
    [Symbol.dispose]() {
      stop();
    },
  };
}
