// Stories for the shared live-query cache across a reload of the functions: a result computed by
// replaced code is never handed out, and nothing published meanwhile is lost. The executor and
// the committer are stand-ins that let each story decide when an execution ends.
import { describe, expect, it } from "vitest";
import { LiveQueries, type LiveResult } from "../../../engine/subscriptions/live_queries.ts";
import type { Executor, FunctionOutcome } from "../../../engine/runtime/executor.ts";
import type { Committer, PublishedCommit } from "../../../engine/transactions/committer.ts";
import { ReadSet } from "../../../engine/transactions/read_set.ts";
import { encodeIndexKey, tuplePrefixEnd } from "../../../engine/values/index_key.ts";

const KEY = encodeIndexKey(["k"]);
const REQUEST = { path: "things:get", args: {}, identity: null };

function harness(): {
  liveQueries: LiveQueries;
  publish: (commit: PublishedCommit) => void;
  finishNextRun: (value: string, ts: bigint) => void;
  runs: () => number;
} {
  const pending: ((outcome: FunctionOutcome) => void)[] = [];
  let started = 0;
  const executor = {
    run: () => {
      started++;
      return new Promise<FunctionOutcome>((resolve) => pending.push(resolve));
    },
  } as unknown as Executor;
  let publish: (commit: PublishedCommit) => void = () => {};
  // The committer's log of published commits, as the live results catch up on it.
  const published: PublishedCommit[] = [];
  const committer = {
    onPublish: (listener: (commit: PublishedCommit) => void) => {
      publish = listener;
      return () => {};
    },
    openSnapshotAt: () => {},
    closeSnapshot: () => {},
    firstPublishedWriteInto: (readSet: ReadSet, afterTs: bigint) =>
      published.find((commit) => commit.ts > afterTs && readSet.firstOverlap(commit.keys) !== null)
        ?.ts ?? null,
  } as unknown as Committer;
  const liveQueries = new LiveQueries(executor, committer);
  return {
    liveQueries,
    publish: (commit) => {
      published.push(commit);
      publish(commit);
    },
    finishNextRun: (value, ts) => {
      const readSet = new ReadSet();
      readSet.addInterval("things.by_key", { start: KEY, end: tuplePrefixEnd(KEY) });
      const resolve = pending.shift();
      if (resolve === undefined) throw new Error("no execution is running");
      resolve({ status: "success", value, logLines: [], ts, readSet, observedIdentity: false });
    },
    runs: () => started,
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("LiveQueries across a reload", () => {
  it("reruns an execution the reload overtook, and still sees a commit made while it ran", async () => {
    const { liveQueries, publish, finishNextRun, runs } = harness();
    let invalidated: LiveResult | null = null;
    const answer = liveQueries.resultAt(REQUEST, 10n, (result) => (invalidated = result));
    await turn();
    // While it runs: a commit at 11 writes what it reads, then the functions reload.
    publish({ ts: 11n, keys: new Map([["things.by_key", [KEY]]]), writes: [] });
    liveQueries.invalidateAll(11n);
    finishNextRun("old code", 10n);
    await turn();
    expect(runs()).toBe(2);
    finishNextRun("new code", 10n);
    const result = await answer;
    expect(result.outcome.status === "success" && result.outcome.value).toBe("new code");
    // The commit at 11 is not lost: the result is the query's result at 10 only.
    expect(result.validAt(10n)).toBe(true);
    expect(result.validAt(11n)).toBe(false);
    expect(invalidated).toBeNull(); // invalid from the start: nothing to notify
  });

  it("never hands out a result of the replaced code, even one cached just before the reload", async () => {
    const { liveQueries, finishNextRun, runs } = harness();
    const first = liveQueries.resultAt(REQUEST, 10n, () => {});
    await turn();
    finishNextRun("old code", 10n);
    // The reload lands after the execution stored its result, before the caller resumed.
    queueMicrotask(() => liveQueries.invalidateAll(10n));
    await turn();
    const second = liveQueries.resultAt(REQUEST, 12n, () => {});
    await turn();
    expect(runs()).toBe(3); // the first caller's rerun, and the second caller's own run
    finishNextRun("new code", 10n);
    finishNextRun("new code", 12n);
    for (const result of await Promise.all([first, second])) {
      expect(result.outcome.status === "success" && result.outcome.value).toBe("new code");
    }
  });
});
