/**
 * The order of a live operation's fan-out (gateway/live/live_operation.ts), as a story without
 * I/O: the operation reads one upstream query, held by a stand-in for the upstream sessions
 * (the sessions' wire behaviour is tested elsewhere); 600 subscribers, so a fan-out takes three
 * batches of 256 with a turn of the event loop between them.
 */
import type { ExecutionResult } from "graphql";
import { expect, it } from "vitest";
import { LiveOperation } from "../../gateway/live/live_operation.ts";
import type { UpstreamListener } from "../../gateway/upstream/shared_queries.ts";
import type { UpstreamSessions } from "../../gateway/upstream/sessions.ts";

const SUBSCRIBERS = 600;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

it("lets a newer result carry on where an interrupted fan-out stopped", async () => {
  let push: UpstreamListener = () => {};
  const upstream = {
    subscribe: (_token: unknown, _path: string, _args: unknown, listener: UpstreamListener) => {
      push = listener;
      return { latest: { value: 0 }, release: () => {} };
    },
    transitionCount: () => 0,
  } as unknown as UpstreamSessions;
  const operation = new LiveOperation(upstream, null, async (access) => ({
    data: { v: await access.run("query", "counters:get", {}) },
  }));
  /** Per subscriber, the values it received, and the order in which subscribers got value 2. */
  const received: unknown[][] = Array.from({ length: SUBSCRIBERS }, () => []);
  const gotTwo: number[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    operation.addSink({
      push: (result: ExecutionResult) => {
        received[i]?.push(result.data?.["v"]);
        if (result.data?.["v"] === 2) gotTwo.push(i);
      },
    });
  }

  // 1. The first result reaches everyone (three batches).
  for (let turn = 0; turn < 10; turn++) await nextTurn();
  expect(received.every((values) => values.length === 1 && values[0] === 0)).toBe(true);

  // 2. Value 1: its fan-out serves the first batch (0..255), then yields.
  push({ value: 1 });
  await nextTurn(); // the rerun, and the first batch
  expect(received.filter((values) => values.at(-1) === 1)).toHaveLength(256);

  // 3. Value 2 arrives: its rerun is queued behind value 1's second batch (256..511), then its
  //    fan-out takes over where value 1's stands, at 512, and wraps around to the first ones last.
  push({ value: 2 });
  for (let turn = 0; turn < 10; turn++) await nextTurn();
  expect(received.every((values) => values.at(-1) === 2)).toBe(true);
  expect(gotTwo[0]).toBe(512);
  expect(gotTwo.at(-1)).toBe(511);
  expect(gotTwo).toHaveLength(SUBSCRIBERS);
  // Subscribers 512.. never got value 1 (a live query sends the latest), nobody got one twice.
  expect(received[512]).toEqual([0, 2]);
  expect(received[256]).toEqual([0, 1, 2]);
  expect(received[0]).toEqual([0, 1, 2]);
  operation.dispose();
});
