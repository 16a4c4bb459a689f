/**
 * The sync protocol one frame at a time, over a raw `ws` socket against a real backend serving
 * the example app. The stories: how Transitions chain from `{0, 0, AAAAAAAAAAA=}` as the query
 * set changes, a mutation commits and an unknown function fails (as a value, with the socket
 * left open); then every protocol violation (PROTOCOL.md's "violation" column): the FatalError
 * and close code it gets, that it closes only the offending socket (a bystander client keeps
 * being served) and that nothing it carried was written; and the Ping after 15 s of silence.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PING_INTERVAL_MS } from "../../engine/sync/session.ts";
import type { ServerMessage, StateVersion } from "../../engine/sync/protocol.ts";
import type { TestBackend } from "../utils/backend.ts";
import {
  counters,
  httpClient,
  orders,
  record,
  serve,
  syncClient,
  type SyncClient,
} from "./support/clients.ts";
import {
  INITIAL_VERSION,
  RawSyncSocket,
  decodeTs,
  syncUrl,
  type CloseInfo,
} from "./support/raw_socket.ts";
import { delay, eventually, step } from "../utils/waits.ts";
import { type Recorder } from "../utils/recorder.ts";

let backend: TestBackend;
/** A client on another socket that must keep being served whatever a raw socket does. */
let bystander: SyncClient;
let bystanderSees: Recorder<number>;

beforeAll(async () => {
  backend = await serve();
  bystander = syncClient(backend.url);
  bystanderSees = record(bystander, counters.get, { name: "bystander" });
  await bystanderSees.atLeast(1, "the bystander's first result");
});

afterAll(async () => {
  bystanderSees[Symbol.dispose]();
  await bystander.close();
  await backend[Symbol.asyncDispose]();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Checks that the bystander's subscription still follows commits. */
async function bystanderIsServed(): Promise<void> {
  const value = await step(
    httpClient(backend.url).mutation(counters.increment, { name: "bystander" }),
    "increment over HTTP",
  );
  await bystanderSees.value((seen) => seen === value, `the bystander to see ${value}`);
}

/** Sends ModifyQuerySet `base -> base + 1` with `modifications`. */
function modify(socket: RawSyncSocket, base: number, modifications: Record<string, unknown>[]) {
  socket.send({ type: "ModifyQuerySet", baseVersion: base, newVersion: base + 1, modifications });
}

/** `expect.stringMatching`, typed as the string it stands for. */
function matching(pattern: RegExp): string {
  return expect.stringMatching(pattern) as string;
}

/** `expect.objectContaining`, typed as the object it stands for. */
function containing(fields: Record<string, unknown>): Record<string, unknown> {
  return expect.objectContaining(fields) as Record<string, unknown>;
}

/** The latest commit ts among successful MutationResponses (0 when none). */
function lastCommitTs(messages: readonly ServerMessage[]): bigint {
  let ts = 0n;
  for (const message of messages) {
    if (message.type === "MutationResponse" && message.success) {
      const commit = decodeTs(message.ts);
      if (commit > ts) ts = commit;
    }
  }
  return ts;
}

/** Reads the next Transition and checks that it starts where `previous` ended. */
async function nextTransition(socket: RawSyncSocket, previous: StateVersion) {
  const transition = await socket.expect("Transition");
  expect(transition.startVersion).toEqual(previous);
  expect(decodeTs(transition.endVersion.ts)).toBeGreaterThanOrEqual(decodeTs(previous.ts));
  return transition;
}

describe("a session, one frame at a time", () => {
  it("chains Transitions through query set changes, mutations and a failing query", async () => {
    await using socket = await RawSyncSocket.connect(backend.url);

    // Add a query: the first Transition starts at the initial version.
    modify(socket, 0, [
      { type: "Add", queryId: 0, udfPath: "orders:getOrdersByTable", args: [{ table: 40 }] },
    ]);
    const first = await nextTransition(socket, INITIAL_VERSION);
    expect(first.endVersion).toMatchObject({ querySet: 1, identity: 0 });
    // Results are computed at the latest commit (nothing commits meanwhile).
    expect(decodeTs(first.endVersion.ts)).toBe(backend.engine.committer.publishedTs);
    expect(first.serverTs).toBe(Number(decodeTs(first.endVersion.ts)));
    expect(first.modifications).toEqual([
      { type: "QueryUpdated", queryId: 0, value: [], logLines: [], journal: null },
    ]);

    // Add a second query: only its result is sent (the first one did not change).
    modify(socket, 1, [
      { type: "Add", queryId: 1, udfPath: "counters:get", args: [{ name: "chain" }] },
    ]);
    const second = await nextTransition(socket, first.endVersion);
    expect(second.endVersion.querySet).toBe(2);
    expect(second.modifications).toEqual([
      { type: "QueryUpdated", queryId: 1, value: 0, logLines: [], journal: null },
    ]);

    // A mutation: its response, then a Transition at or past its commit, with the new result.
    socket.send({
      type: "Mutation",
      requestId: 0,
      udfPath: "orders:placeOrder",
      args: [{ dish: "soup", table: 40 }],
    });
    const response = await socket.expect("MutationResponse");
    expect(response).toMatchObject({ requestId: 0, success: true, logLines: [] });
    if (!response.success) throw new Error("placeOrder failed");
    expect(typeof response.result).toBe("string");
    const third = await nextTransition(socket, second.endVersion);
    expect(decodeTs(third.endVersion.ts)).toBeGreaterThanOrEqual(decodeTs(response.ts));
    expect(third.endVersion.querySet).toBe(2);
    expect(third.modifications).toEqual([
      {
        type: "QueryUpdated",
        queryId: 0,
        value: [expect.objectContaining({ _id: response.result, dish: "soup", table: 40 })],
        logLines: [],
        journal: null,
      },
    ]);

    // A mutation outside both read sets: a Transition past it, with nothing in it.
    socket.send({
      type: "Mutation",
      requestId: 1,
      udfPath: "orders:placeOrder",
      args: [{ dish: "tea", table: 41 }],
    });
    const outside = await socket.expect("MutationResponse");
    if (!outside.success) throw new Error("placeOrder failed");
    const fourth = await nextTransition(socket, third.endVersion);
    expect(decodeTs(fourth.endVersion.ts)).toBeGreaterThanOrEqual(decodeTs(outside.ts));
    expect(fourth.modifications).toEqual([]);

    // Three mutations sent at once run one at a time, in order. Request 2 is a no-op, 3 moves
    // the order on, 4 would move it back: a failure, which is a value (no ts, the error data)
    // and leaves the socket open. Transitions may fold several commits into one.
    for (const [requestId, status] of [
      [2, "placed"],
      [3, "served"],
      [4, "ready"],
    ] as const) {
      socket.send({
        type: "Mutation",
        requestId,
        udfPath: "orders:updateStatus",
        args: [{ id: response.result, status }],
      });
    }
    const responses: ServerMessage[] = [];
    let latest = fourth;
    let servedSeen = false;
    while (responses.length < 3 || decodeTs(latest.endVersion.ts) < lastCommitTs(responses)) {
      const message = await socket.next("the responses and Transitions of requests 2 to 4");
      if (message.type === "Transition") {
        expect(message.startVersion).toEqual(latest.endVersion);
        latest = message;
        for (const modification of message.modifications) {
          expect(modification).toMatchObject({ type: "QueryUpdated", queryId: 0 });
          servedSeen ||= JSON.stringify(modification).includes('"status":"served"');
        }
      } else {
        expect(message.type).toBe("MutationResponse");
        responses.push(message);
      }
    }
    expect(responses).toEqual([
      expect.objectContaining({ requestId: 2, success: true, result: null }),
      expect.objectContaining({ requestId: 3, success: true, result: null }),
      expect.objectContaining({
        requestId: 4,
        success: false,
        result: matching(/INVALID_TRANSITION/),
        ts: null,
        errorData: containing({ code: "INVALID_TRANSITION" }),
      }),
    ]);
    expect(servedSeen).toBe(true);

    // Remove a query and add one for a function that does not exist: QueryRemoved and QueryFailed.
    modify(socket, 2, [
      { type: "Remove", queryId: 1 },
      { type: "Add", queryId: 2, udfPath: "nope:missing", args: [{}] },
    ]);
    const fifth = await nextTransition(socket, latest.endVersion);
    expect(fifth.endVersion.querySet).toBe(3);
    expect(fifth.modifications).toEqual([
      { type: "QueryRemoved", queryId: 1 },
      expect.objectContaining({
        type: "QueryFailed",
        queryId: 2,
        errorMessage: matching(/Could not find public function for 'nope:missing'/),
        journal: null,
      }),
    ]);

    // The socket is still open and serving.
    modify(socket, 3, [
      { type: "Add", queryId: 3, udfPath: "orders:getOrdersByTable", args: [{ table: 41 }] },
    ]);
    const sixth = await nextTransition(socket, fifth.endVersion);
    expect(sixth.modifications).toEqual([
      expect.objectContaining({
        type: "QueryUpdated",
        queryId: 3,
        value: [expect.objectContaining({ dish: "tea" })],
      }),
    ]);
    expect(socket.isOpen).toBe(true);
    expect(socket.unread).toBe(0);
  });

  it("serves /api/sync as well, and refuses other upgrade paths with 404", async () => {
    await using plain = await RawSyncSocket.open(backend.url, { path: "/api/sync" });
    plain.send({
      type: "Connect",
      sessionId: randomUUID(),
      connectionCount: 0,
      lastCloseReason: "InitialConnect",
    });
    modify(plain, 0, []);
    await nextTransition(plain, INITIAL_VERSION);

    const status = await step(
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(syncUrl(backend.url, "/api/1.48.0/elsewhere"));
        ws.on("unexpected-response", (_request, response) => {
          resolve(response.statusCode ?? 0);
          ws.terminate();
        });
        ws.on("open", () => reject(new Error("upgraded a path that is not the sync endpoint")));
        ws.on("error", () => {});
      }),
      "the upgrade to be refused",
    );
    expect(status).toBe(404);
  });
});

interface Violation {
  readonly name: string;
  /**
   * Sends the offending frames (after Connect unless `connect` is false), and then (where the
   * socket could still read it) a mutation placing an order for `table`, which must not run.
   */
  readonly send: (socket: RawSyncSocket, table: number) => void;
  readonly connect?: boolean;
  /** The FatalError's text (null: no FatalError is sent before the close). */
  readonly fatal: RegExp | null;
  readonly close: CloseInfo;
}

const placeOrderFrame = (table: number) => ({
  type: "Mutation",
  requestId: 0,
  udfPath: "orders:placeOrder",
  args: [{ dish: "forbidden", table }],
});

/** Orders for table `FORBIDDEN_TABLES + i` must never exist: violation `i` carries one. */
const FORBIDDEN_TABLES = 600;

const violations: Violation[] = [
  {
    name: "malformed JSON",
    send: (socket, table) => {
      socket.sendText('{"type": "Mutation", ');
      socket.send(placeOrderFrame(table));
    },
    fatal: /^WSMessageInvalidJson: /,
    close: { code: 1000, reason: "WSMessageInvalidJson" },
  },
  {
    name: "JSON that is not an object",
    send: (socket, table) => socket.sendText(JSON.stringify([placeOrderFrame(table)])),
    fatal: /^WSMessageInvalidJson: /,
    close: { code: 1000, reason: "WSMessageInvalidJson" },
  },
  {
    name: "an unknown message type",
    send: (socket, table) => socket.send({ ...placeOrderFrame(table), type: "Mutate" }),
    fatal: /^BadRequest: Unknown message type "Mutate"/,
    close: { code: 1000, reason: "BadRequest" },
  },
  {
    name: "a field of the wrong type",
    send: (socket, table) => socket.send({ ...placeOrderFrame(table), args: { dish: "x", table } }),
    fatal: /^BadRequest: .*"args".*array/,
    close: { code: 1000, reason: "BadRequest" },
  },
  {
    name: "a message before Connect",
    connect: false,
    send: (socket, table) => socket.send(placeOrderFrame(table)),
    fatal: /^BadRequest: The first message on a socket must be Connect/,
    close: { code: 1000, reason: "BadRequest" },
  },
  {
    name: "a second Connect",
    send: (socket, table) => {
      socket.send({
        type: "Connect",
        sessionId: socket.sessionId,
        connectionCount: 1,
        lastCloseReason: null,
      });
      socket.send(placeOrderFrame(table));
    },
    fatal: /^BadRequest: Connect was sent twice/,
    close: { code: 1000, reason: "BadRequest" },
  },
  {
    name: "a session id that is not a UUID",
    connect: false,
    send: (socket, table) => {
      socket.send({
        type: "Connect",
        sessionId: "not-a-uuid",
        connectionCount: 0,
        lastCloseReason: null,
      });
      socket.send(placeOrderFrame(table));
    },
    fatal: /^BadRequest: .*"sessionId".*UUID/,
    close: { code: 1000, reason: "BadRequest" },
  },
  {
    name: "a ModifyQuerySet with the wrong baseVersion",
    send: (socket, table) => {
      modify(socket, 1, []);
      socket.send(placeOrderFrame(table));
    },
    fatal: /^BaseVersionMismatch: /,
    close: { code: 1000, reason: "BaseVersionMismatch" },
  },
  {
    name: "an Authenticate with the wrong baseVersion",
    send: (socket, table) => {
      socket.send({ type: "Authenticate", baseVersion: 3, tokenType: "None" });
      socket.send(placeOrderFrame(table));
    },
    fatal: /^BaseVersionMismatch: /,
    close: { code: 1000, reason: "BaseVersionMismatch" },
  },
  {
    name: "a query added twice",
    send: (socket, table) => {
      const add = { type: "Add", queryId: 0, udfPath: "counters:get", args: [{ name: "x" }] };
      modify(socket, 0, [add, add]);
      socket.send(placeOrderFrame(table));
    },
    fatal: /^BadRequest: Query 0 was added twice/,
    close: { code: 1000, reason: "BadRequest" },
  },
  {
    name: "a Remove of a query never added",
    send: (socket, table) => {
      modify(socket, 0, [{ type: "Remove", queryId: 5 }]);
      socket.send(placeOrderFrame(table));
    },
    fatal: /^BadRequest: Query 5 was removed but never added/,
    close: { code: 1000, reason: "BadRequest" },
  },
  {
    name: "a binary frame",
    send: (socket, table) => {
      socket.sendBinary(Buffer.from(JSON.stringify(placeOrderFrame(table))));
      socket.send(placeOrderFrame(table));
    },
    fatal: null,
    close: { code: 1003, reason: "BinaryFramesNotSupported" },
  },
  {
    name: "a frame over 20 MiB",
    send: (socket, table) => {
      const frame = placeOrderFrame(table);
      socket.send({ ...frame, args: [{ dish: "x".repeat(21 * 1024 * 1024), table }] });
      socket.send(placeOrderFrame(table));
    },
    fatal: null,
    close: { code: 1009, reason: "" },
  },
];

describe("a protocol violation", () => {
  it.each(violations.map((violation, i) => ({ ...violation, table: FORBIDDEN_TABLES + i })))(
    "($name) closes only its socket and writes nothing",
    async (violation) => {
      const { table } = violation;
      const commitsBefore = backend.engine.committer.stats.commits;
      const socket =
        violation.connect === false
          ? await RawSyncSocket.open(backend.url)
          : await RawSyncSocket.connect(backend.url);
      await using _socket = socket;
      violation.send(socket, table);

      if (violation.fatal !== null) {
        const fatal = await socket.expect("FatalError");
        expect(fatal.error).toMatch(violation.fatal);
      }
      expect(await socket.expectClose(10_000)).toEqual(violation.close);
      expect(socket.unread).toBe(0);

      // Nothing the socket sent was run.
      expect(backend.engine.committer.stats.commits).toBe(commitsBefore);
      const forbidden = await step(
        httpClient(backend.url).query(orders.getOrdersByTable, { table }),
        "the forbidden table's orders",
      );
      expect(forbidden).toEqual([]);
      // Only the bystander's session is left.
      await eventually(() => backend.sync.sessions.size === 1, "the session to be dropped");

      await bystanderIsServed();
    },
  );

  it("(a bad token or admin key) gets an AuthError or FatalError, then the socket closes", async () => {
    const table = FORBIDDEN_TABLES + violations.length;
    for (const [tokenType, value] of [
      ["User", "not.a.jwt"],
      ["User", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."],
      ["Admin", "some-admin-key"],
    ] as const) {
      await using socket = await RawSyncSocket.connect(backend.url);
      socket.send({ type: "Authenticate", baseVersion: 0, tokenType, value });
      socket.send(placeOrderFrame(table));
      if (tokenType === "Admin") {
        // A forged admin key: Convex's BadDeployKey, a FatalError (never retried).
        const fatal = await socket.expect("FatalError");
        expect(fatal.error).toBe(
          "The provided deploy key was invalid for this deployment. Double check that the environment this key was generated for matches the desired deployment.",
        );
        expect(await socket.expectClose()).toEqual({ code: 1000, reason: "BadDeployKey" });
      } else {
        const error = await socket.expect("AuthError");
        expect(error).toMatchObject({ baseVersion: 0, authUpdateAttempted: true });
        expect(error.error).not.toBe("");
        expect(await socket.expectClose()).toEqual({ code: 1000, reason: "AuthError" });
      }
      expect(socket.unread).toBe(0);
    }
    const forbidden = await step(
      httpClient(backend.url).query(orders.getOrdersByTable, { table }),
      "the forbidden table's orders",
    );
    expect(forbidden).toEqual([]);
    await bystanderIsServed();
  });
});

describe("an idle session", () => {
  it(`gets a Ping after ${PING_INTERVAL_MS} ms without any other message, not before`, async () => {
    await using socket = await RawSyncSocket.connect(backend.url);
    modify(socket, 0, []);
    const first = await nextTransition(socket, INITIAL_VERSION);

    // From here the session's timers are fake: its next message re-arms the ping timer on them.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    modify(socket, 1, []);
    await nextTransition(socket, first.endVersion);

    vi.advanceTimersByTime(PING_INTERVAL_MS - 1);
    await delay(50);
    expect(socket.unread).toBe(0);

    vi.advanceTimersByTime(1);
    expect(await socket.next("the Ping")).toEqual({ type: "Ping" });
    vi.useRealTimers();
    expect(socket.isOpen).toBe(true);
  });
});
