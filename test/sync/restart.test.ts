/**
 * Restarts and re-sent mutations. The official client reconnects by itself when the backend goes
 * away, resubscribes and re-sends every mutation it has not seen reflected, with the same
 * (session id, request id). The stories: clients that live through a backend restart on the
 * same port and data file; a mutation committed but not answered when the backend stopped, and
 * one made while it was down, each applied once; and, with a raw socket, the same Mutation sent
 * twice (on two sockets, at once, across a restart) answered with one result and one commit
 * timestamp.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTestBackend, tempDir, type TestBackend } from "../utils/backend.ts";
import { counters, httpClient, record, serve, syncClient } from "./support/clients.ts";
import { RawSyncSocket, decodeTs } from "./support/raw_socket.ts";
import { step } from "../utils/waits.ts";

/** Clients back off about 1 s (±50 %) after a 1012 close, doubling per failed attempt. */
const RECONNECT_MS = 10_000;

function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

async function startOn(dataFile: string, port = 0): Promise<TestBackend> {
  return step(startTestBackend({ dataFile, port }), "the backend to start", 20_000);
}

async function counterValue(url: string, name: string): Promise<number> {
  return step(httpClient(url).query(counters.get, { name }), `counters:get ${name}`);
}

/**
 * Sends Mutation `requestId` (counters:increment) on `socket`, reads its response and the
 * Transition that must follow it (at or past the commit: read-your-writes).
 */
async function increment(socket: RawSyncSocket, requestId: number, name: string) {
  socket.send({
    type: "Mutation",
    requestId,
    udfPath: "counters:increment",
    args: [{ name }],
  });
  const response = await socket.expect("MutationResponse");
  expect(response).toMatchObject({ requestId, success: true });
  const { ts } = response as typeof response & { success: true };
  const transition = await socket.expect("Transition");
  expect(decodeTs(transition.endVersion.ts)).toBeGreaterThanOrEqual(decodeTs(ts));
  return response as typeof response & { success: true };
}

describe("a backend restart", () => {
  it("is survived by subscribed clients, which reconnect, resubscribe and see later updates", async () => {
    await using folder = tempDir();
    const dataFile = path.join(folder.path, "data.sqlite3");
    let backend = await startOn(dataFile);
    const port = backend.port;
    try {
      await using alice = syncClient(backend.url);
      await using bob = syncClient(backend.url);
      using aliceSees = record(alice, counters.get, { name: "visits" });
      using bobSees = record(bob, counters.get, { name: "visits" });
      expect(await step(alice.mutation(counters.increment, { name: "visits" }), "increment")).toBe(
        1,
      );
      await bobSees.value((value) => value === 1, "bob to see 1");
      expect(aliceSees.latest).toBe(1);

      await backend.close();
      backend = await startOn(dataFile, port);
      expect(backend.port).toBe(port);

      // Another client commits on the new backend; both subscriptions get there by themselves.
      await step(
        httpClient(backend.url).mutation(counters.increment, { name: "visits" }),
        "increment over HTTP",
      );
      await aliceSees.value(
        (value) => value === 2,
        "alice to see 2 after the restart",
        RECONNECT_MS,
      );
      await bobSees.value((value) => value === 2, "bob to see 2 after the restart", RECONNECT_MS);
      // The data survived: no client saw the counter go back on the way (a resubscription may
      // deliver the same value again).
      expect(aliceSees.values).toEqual(ascending(aliceSees.values));
      expect(bobSees.values).toEqual(ascending(bobSees.values));

      // The reconnected session takes mutations again, with read-your-writes.
      expect(await step(bob.mutation(counters.increment, { name: "visits" }), "increment")).toBe(3);
      expect(bobSees.latest).toBe(3);
      await aliceSees.value((value) => value === 3, "alice to see 3");
      expect(backend.sync.sessions.size).toBe(2);
    } finally {
      await backend.close();
    }
  });

  it("applies once a mutation committed but not answered when the backend stopped", async () => {
    await using folder = tempDir();
    const dataFile = path.join(folder.path, "data.sqlite3");
    let backend = await startOn(dataFile);
    const port = backend.port;
    try {
      await using client = syncClient(backend.url);
      using seen = record(client, counters.get, { name: "inflight" });
      await seen.atLeast(1, "the first result");

      // The backend stops the moment the mutation's commit is published, before the session can
      // send its MutationResponse: the commit is durable, the client never heard of it.
      const first = backend;
      let stopping: Promise<void> | null = null;
      first.engine.committer.onPublish(() => {
        stopping ??= first.close();
      });
      const pending = client.mutation(counters.increment, { name: "inflight" });
      await step(
        new Promise<void>((resolve) => first.engine.committer.onPublish(() => resolve())),
        "the commit",
      );
      await step(stopping ?? Promise.reject(new Error("not stopping")), "the backend to stop");
      backend = await startOn(dataFile, port);

      // The client re-sends it to the new backend, which answers from its record.
      expect(await step(pending, "the re-sent mutation to settle", RECONNECT_MS)).toBe(1);
      expect(seen.latest).toBe(1);
      expect(await counterValue(backend.url, "inflight")).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it("sends a mutation made while the backend is down once it is back", async () => {
    await using folder = tempDir();
    const dataFile = path.join(folder.path, "data.sqlite3");
    let backend = await startOn(dataFile);
    const port = backend.port;
    try {
      await using client = syncClient(backend.url);
      using seen = record(client, counters.get, { name: "offline" });
      await seen.atLeast(1, "the first result");
      await backend.close();
      const pending = client.mutation(counters.increment, { name: "offline" });
      backend = await startOn(dataFile, port);
      expect(await step(pending, "the queued mutation to settle", RECONNECT_MS)).toBe(1);
      expect(seen.latest).toBe(1);
      expect(await counterValue(backend.url, "offline")).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it("answers a Mutation re-sent on a second socket of the session from its record", async () => {
    await using backend = await serve();
    const sessionId = randomUUID();
    const commitsBefore = backend.engine.committer.stats.commits;

    await using first = await RawSyncSocket.connect(backend.url, { sessionId });
    const original = await increment(first, 7, "resent");
    expect(original.result).toBe(1);
    await first.close();

    // The client reconnects with the same session id and re-sends request 7.
    await using second = await RawSyncSocket.connect(backend.url, {
      sessionId,
      connectionCount: 1,
    });
    const repeat = await increment(second, 7, "resent");
    expect(repeat.result).toBe(1);
    expect(repeat.ts).toBe(original.ts);
    expect(await counterValue(backend.url, "resent")).toBe(1);
    expect(backend.engine.committer.stats.commits).toBe(commitsBefore + 1);

    // Another session's request 7 is another request.
    await using stranger = await RawSyncSocket.connect(backend.url);
    expect((await increment(stranger, 7, "resent")).result).toBe(2);
  });

  it("runs a Mutation sent on two sockets of the session at once only once", async () => {
    await using backend = await serve();
    const sessionId = randomUUID();
    await using one = await RawSyncSocket.connect(backend.url, { sessionId });
    await using two = await RawSyncSocket.connect(backend.url, { sessionId, connectionCount: 1 });
    const [a, b] = await Promise.all([increment(one, 3, "twice"), increment(two, 3, "twice")]);
    expect(a.result).toBe(1);
    expect(b.result).toBe(1);
    expect(a.ts).toBe(b.ts);
    expect(await counterValue(backend.url, "twice")).toBe(1);
  });

  it("answers a Mutation re-sent after a restart with the original result and timestamp", async () => {
    await using folder = tempDir();
    const dataFile = path.join(folder.path, "data.sqlite3");
    let backend = await startOn(dataFile);
    const port = backend.port;
    const sessionId = randomUUID();
    try {
      let original: Awaited<ReturnType<typeof increment>>;
      {
        await using socket = await RawSyncSocket.connect(backend.url, { sessionId });
        original = await increment(socket, 0, "restart");
        expect(original.result).toBe(1);
        await backend.close();
        const closed = await socket.expectClose();
        // A close reason the official client backs off from and reconnects after.
        expect(closed).toEqual({ code: 1012, reason: "InternalServerError" });
      }

      backend = await startOn(dataFile, port);
      const commitsBefore = backend.engine.committer.stats.commits;
      await using socket = await RawSyncSocket.connect(backend.url, {
        sessionId,
        connectionCount: 1,
        maxObservedTimestamp: original.ts,
      });
      const repeat = await increment(socket, 0, "restart");
      expect(repeat.result).toBe(1);
      expect(repeat.ts).toBe(original.ts);
      expect(backend.engine.committer.stats.commits).toBe(commitsBefore);
      expect(await counterValue(backend.url, "restart")).toBe(1);

      // Time did not go backwards: a new commit gets a later timestamp than the old one.
      const next = await increment(socket, 1, "restart");
      expect(next.result).toBe(2);
      expect(decodeTs(next.ts)).toBeGreaterThan(decodeTs(original.ts));
    } finally {
      await backend.close();
    }
  });
});
