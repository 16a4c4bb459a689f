/**
 * Flow control on one sync socket, as Convex's sync worker has it.
 *
 * A client that stops reading its socket
 * (`SYNC_MAX_SEND_TRANSITION_COUNT`): the backend computes no new Transition while two wait in
 * the socket's send buffer, so what the client cannot take does not pile up in the backend's
 * memory; the changes made meanwhile coalesce into the next Transition, and once the client reads
 * again it catches up to the latest state through an unbroken chain of versions.
 *
 * A client that sends mutations faster than they run (`OPERATION_QUEUE_BUFFER_SIZE`): past 1,000
 * waiting behind the running one, the socket closes with 1013 `TooManyConcurrentMutations`
 * instead of the queue (and the arguments it holds) growing without bound; other sockets go on.
 * Likewise past 1,000 actions running for one socket: 1013 `TooManyInflightActionsForSingleClient`.
 * The mutations still waiting when a socket closes (by that 1013, or the client going away) never
 * run, as in Convex: flooding a socket and dropping it, again and again, leaves no work behind.
 */
import { randomUUID } from "node:crypto";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StateVersion } from "../../engine/sync/protocol.ts";
import { REPO_ROOT, startTestBackend, type TestBackend } from "../utils/backend.ts";
import { delay, eventually, step } from "../utils/waits.ts";
import { INITIAL_VERSION, RawSyncSocket, syncUrl } from "./support/raw_socket.ts";

const bump = makeFunctionReference<"mutation", { name: string }, number>("probe:bump");
const counter = makeFunctionReference<"query", { name: string }, number>("probe:counter");

/** The counter `name` once it has stopped changing for half a second. */
async function settledCounter(name: string): Promise<number> {
  const reader = new ConvexHttpClient(backend.url);
  let last = -1;
  let stableSince = Date.now();
  await eventually(
    async () => {
      const value = await reader.query(counter, { name });
      if (value !== last) [last, stableSince] = [value, Date.now()];
      return Date.now() - stableSince >= 500;
    },
    `the counter ${name} to settle`,
    15_000,
  );
  return last;
}

/** Queries of one socket on the same counter: each commit changes them all (~400 KB a Transition). */
const QUERIES = 5_000;
/** Commits made while the client does not read. */
const COMMITS = 80;

interface TransitionFrame {
  readonly type: "Transition";
  readonly startVersion: StateVersion;
  readonly endVersion: StateVersion;
  readonly modifications: readonly { queryId: number; value?: unknown }[];
}

let backend: TestBackend;

beforeAll(async () => {
  backend = await startTestBackend({ dir: `${REPO_ROOT}/test/fixtures/hostile_app` });
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
});

describe("a client that stops reading", () => {
  it("is sent no Transition while two wait unread; it then catches up in a few", async () => {
    const ws = new WebSocket(syncUrl(backend.url));
    const transitions: TransitionFrame[] = [];
    ws.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as { type: string };
      if (message.type === "Transition") transitions.push(message as TransitionFrame);
    });
    await step(new Promise((resolve) => ws.once("open", resolve)), "the socket to open");
    try {
      ws.send(
        JSON.stringify({
          type: "Connect",
          sessionId: randomUUID(),
          connectionCount: 0,
          lastCloseReason: null,
        }),
      );
      const modifications = Array.from({ length: QUERIES }, (_, queryId) => ({
        type: "Add",
        queryId,
        udfPath: "probe:counter",
        args: [{ name: "slow" }],
      }));
      ws.send(
        JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications }),
      );
      await eventually(() => transitions.length === 1, "the first Transition");

      // The client stops reading; the kernel's buffers fill, then the backend's would.
      ws.pause();
      const writer = new ConvexHttpClient(backend.url);
      let last = 0;
      for (let i = 0; i < COMMITS; i += 1)
        last = await step(writer.mutation(bump, { name: "slow" }));
      await delay(200);
      ws.resume();

      const latest = (): unknown => transitions.at(-1)?.modifications.at(-1)?.value;
      await eventually(() => latest() === last, `a Transition carrying ${last}`, 15_000);
      // Without the limit every commit makes a Transition of its own, all kept until read.
      expect(transitions.length - 1).toBeLessThan(COMMITS / 2);
      // Coalesced, never broken: each starts where the one before ended.
      let version = INITIAL_VERSION;
      for (const transition of transitions) {
        expect(transition.startVersion).toEqual(version);
        version = transition.endVersion;
      }
      expect(transitions.at(-1)?.modifications).toHaveLength(QUERIES);
    } finally {
      ws.terminate();
    }
  });
});

describe("a client that floods mutations", () => {
  it("is closed with 1013 TooManyConcurrentMutations; another socket is unaffected", async () => {
    await using flooder = await RawSyncSocket.connect(backend.url);
    await using bystander = await RawSyncSocket.connect(backend.url);
    // 20 KB of arguments each: an unbounded queue would hold all 60 MB of them.
    const body = "x".repeat(20_000);
    for (let requestId = 0; requestId < 3_000; requestId += 1) {
      flooder.send({ type: "Mutation", requestId, udfPath: "probe:saveNote", args: [{ body }] });
    }
    const closed = await flooder.expectClose();
    expect(closed).toEqual({ code: 1013, reason: "TooManyConcurrentMutations" });

    bystander.send({
      type: "Mutation",
      requestId: 0,
      udfPath: "probe:bump",
      args: [{ name: "b" }],
    });
    const response = await bystander.next("the bystander's MutationResponse");
    expect(response).toMatchObject({ type: "MutationResponse", requestId: 0, success: true });
  });
});

describe("mutations waiting when their socket closes", () => {
  it("never run after a 1013 TooManyConcurrentMutations", async () => {
    await using flooder = await RawSyncSocket.connect(backend.url);
    for (let requestId = 0; requestId < 1_500; requestId += 1) {
      flooder.send({ type: "Mutation", requestId, udfPath: "probe:bump", args: [{ name: "f" }] });
    }
    expect(await flooder.expectClose()).toEqual({
      code: 1013,
      reason: "TooManyConcurrentMutations",
    });
    // Without the drop, the 1,001 accepted before the close all ran.
    expect(await settledCounter("f")).toBeLessThan(500);
  });

  it("never run after the client drops the socket without a close frame", async () => {
    const ws = new WebSocket(syncUrl(backend.url));
    await step(new Promise((resolve) => ws.once("open", resolve)), "the socket to open");
    const connect = { type: "Connect", sessionId: randomUUID(), connectionCount: 0 };
    ws.send(JSON.stringify({ ...connect, lastCloseReason: null }));
    for (let requestId = 0; requestId < 500; requestId += 1) {
      const args = [{ name: "d" }];
      ws.send(JSON.stringify({ type: "Mutation", requestId, udfPath: "probe:bump", args }));
    }
    ws.terminate();
    expect(await settledCounter("d")).toBeLessThan(250);
  });
});

describe("a client that floods actions", () => {
  it("is closed with 1013 TooManyInflightActionsForSingleClient past 1,000 running", async () => {
    await using flooder = await RawSyncSocket.connect(backend.url);
    await using bystander = await RawSyncSocket.connect(backend.url);
    // Each stays in flight for 3 s: the 1,001st finds 1,000 running.
    for (let requestId = 0; requestId <= 1_000; requestId += 1) {
      flooder.send({ type: "Action", requestId, udfPath: "probe:wait", args: [{ ms: 3_000 }] });
    }
    const closed = await flooder.expectClose();
    expect(closed).toEqual({ code: 1013, reason: "TooManyInflightActionsForSingleClient" });

    // Up to the limit, actions run: another socket's gets its answer.
    bystander.send({ type: "Action", requestId: 0, udfPath: "probe:wait", args: [{ ms: 1 }] });
    const response = await bystander.next("the bystander's ActionResponse");
    expect(response).toMatchObject({ type: "ActionResponse", requestId: 0, success: true });
  });
});
