/**
 * gateway/upstream/query_updates.ts against a real backend and the real official client core:
 * delivery as `ConvexClient.onUpdate`'s, including a subscription ended while a Transition (or
 * the hand-over of held results) is being dispatched: it gets nothing after its end.
 */
import { BaseConvexClient } from "convex/browser";
import WebSocket from "ws";
import { afterAll, beforeAll, expect, it } from "vitest";
import { QueryUpdates } from "../../gateway/upstream/query_updates.ts";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { delay, eventually } from "../utils/waits.ts";

let backend: TestBackend;
beforeAll(async () => {
  backend = await startTestBackend();
}, 60_000);
afterAll(() => backend.close());

function connect(): { client: BaseConvexClient; updates: QueryUpdates } {
  const holder: { updates?: QueryUpdates } = {};
  const client = new BaseConvexClient(backend.url, (tokens) => holder.updates?.transition(tokens), {
    logger: false,
    unsavedChangesWarning: false,
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  holder.updates = new QueryUpdates(client);
  return { client, updates: holder.updates };
}

/**
 * Two subscriptions to one query: the first ends the second at its first update. Returns what
 * the second got after its end (should stay empty) and whether the first has ended it yet.
 */
function killerAndVictim(updates: QueryUpdates, name: string) {
  const afterEnd: unknown[] = [];
  const state = { ended: false };
  updates.subscribe(
    "counters:get",
    { name },
    () => {
      if (state.ended) return;
      state.ended = true;
      victim();
    },
    () => {},
  );
  const victim = updates.subscribe(
    "counters:get",
    { name },
    (value) => {
      if (state.ended) afterEnd.push(value);
    },
    () => {},
  );
  return { afterEnd, ended: () => state.ended };
}

it("does not deliver a Transition to a subscription ended by an earlier listener of it", async () => {
  const { client, updates } = connect();
  try {
    const { afterEnd, ended } = killerAndVictim(updates, `reentrant-${Date.now()}`);
    await eventually(ended, "the first result");
    await delay(50);
    expect(afterEnd).toEqual([]);
  } finally {
    updates.close();
    await client.close();
  }
});

it("does not hand a held result over to a subscription ended by an earlier hand-over", async () => {
  const { client, updates } = connect();
  try {
    const name = `handover-${Date.now()}`;
    const first: unknown[] = [];
    const holder = updates.subscribe(
      "counters:get",
      { name },
      (value) => first.push(value),
      () => {},
    );
    await eventually(() => first.length > 0, "the first result");
    // Both subscribe while the client holds a result: both are handed it on the timer.
    const { afterEnd, ended } = killerAndVictim(updates, name);
    await eventually(ended, "the hand-over");
    await delay(50);
    expect(afterEnd).toEqual([]);
    holder();
  } finally {
    updates.close();
    await client.close();
  }
});
