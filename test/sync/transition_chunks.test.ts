/**
 * Large Transitions travel as `TransitionChunk` frames to clients that reassemble them (the
 * official client from 1.28 on, which names its version in the sync path), and whole to others.
 * The stories: the official `ConvexClient` receives a result of several MiB intact; a raw socket
 * on the versioned path sees the chunks, in order, joining into one Transition; a raw socket on
 * the unversioned path gets one whole Transition; a cut never splits a surrogate pair.
 */
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../../engine/sync/protocol.ts";
import { transitionFrames, TRANSITION_CHUNK_CHARS } from "../../engine/sync/transition.ts";
import { FIXTURE_APP_DIR } from "../engine/support/fixture.ts";
import { httpClient, record, serve } from "./support/clients.ts";
import { step } from "../utils/waits.ts";
import { RawSyncSocket } from "./support/raw_socket.ts";

const range = makeFunctionReference<"query", { group: string; order: "asc" }, string[]>(
  "items:range",
);
const insertMany = makeFunctionReference<
  "mutation",
  { items: { group: string; rank: number; label: string }[] },
  string[]
>("items:insertMany");

/** Five labels of 600k UTF-16 units each (emoji halves included): a result of ~3 Mi chars. */
const LABELS = Array.from(
  { length: 5 },
  (_, i) => "x".repeat(i) + "😀".repeat(150_000) + "y".repeat(300_000 - i),
);

async function insertBigItems(url: string): Promise<void> {
  const items = LABELS.map((label, rank) => ({ group: "big", rank, label }));
  await step(httpClient(url).mutation(insertMany, { items }), "insertMany", 30_000);
}

/** Reads frames until a whole Transition carrying a modification; joins chunks on the way. */
async function nextFullTransition(
  socket: RawSyncSocket,
): Promise<{ transition: Extract<ServerMessage, { type: "Transition" }>; chunks: number }> {
  const parts: string[] = [];
  for (;;) {
    const frame = await socket.next("a Transition or TransitionChunk", 30_000);
    if (frame.type === "TransitionChunk") {
      expect(frame.partNumber).toBe(parts.length);
      parts.push(frame.chunk);
      if (parts.length < frame.totalParts) continue;
      const joined = JSON.parse(parts.join("")) as ServerMessage;
      if (joined.type !== "Transition") throw new Error(`joined a ${joined.type}`);
      return { transition: joined, chunks: parts.length };
    }
    expect(parts).toEqual([]);
    if (frame.type === "Transition" && frame.modifications.length > 0)
      return { transition: frame, chunks: 0 };
  }
}

async function subscribeRaw(url: string, path: string): Promise<RawSyncSocket> {
  const socket = await RawSyncSocket.open(url, { path });
  socket.send({
    type: "Connect",
    sessionId: socket.sessionId,
    connectionCount: 0,
    lastCloseReason: "InitialConnect",
  });
  socket.send({
    type: "ModifyQuerySet",
    baseVersion: 0,
    newVersion: 1,
    modifications: [
      { type: "Add", queryId: 0, udfPath: "items:range", args: [{ group: "big", order: "asc" }] },
    ],
  });
  return socket;
}

describe("TransitionChunk", () => {
  it("the official client reassembles a result of several MiB", async () => {
    await using backend = await serve({ dir: FIXTURE_APP_DIR });
    await insertBigItems(backend.url);
    const client = new ConvexClient(backend.url, { logger: false });
    try {
      using deliveries = record(client, range, { group: "big", order: "asc" });
      const value = await deliveries.value((labels) => labels.length > 0, "the big result", 30_000);
      expect(value.length).toBe(LABELS.length);
      value.forEach((label, i) => expect(label === LABELS[i]).toBe(true));
      expect(deliveries.errors).toEqual([]);
      expect(client.connectionState().connectionCount).toBe(1);
    } finally {
      await client.close();
    }
  }, 60_000);

  it("splits on the versioned path and sends whole Transitions on /api/sync", async () => {
    await using backend = await serve({ dir: FIXTURE_APP_DIR });
    await insertBigItems(backend.url);
    await using chunked = await subscribeRaw(backend.url, "/api/1.48.0/sync");
    const split = await nextFullTransition(chunked);
    const text = JSON.stringify(split.transition);
    expect(split.chunks).toBe(Math.ceil(text.length / TRANSITION_CHUNK_CHARS));
    expect(split.chunks).toBeGreaterThan(1);

    await using whole = await subscribeRaw(backend.url, "/api/sync");
    const single = await nextFullTransition(whole);
    expect(single.chunks).toBe(0);
    expect(single.transition.modifications).toEqual(split.transition.modifications);
  }, 60_000);

  it("never cuts between the halves of a surrogate pair", () => {
    // 3 chars, then emoji: a cut every 4 units falls right after a high surrogate.
    const text = `abc${"😀".repeat(10)}`;
    const frames = transitionFrames(text, 4, "t").map(
      (frame) => JSON.parse(frame) as { chunk: string; partNumber: number; totalParts: number },
    );
    expect(frames.map((frame) => frame.chunk).join("")).toBe(text);
    for (const { chunk } of frames) {
      expect(chunk.length).toBeGreaterThan(0);
      // No lone surrogate at either end (a well-formed UTF-16 slice).
      expect(/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(chunk)).toBe(false);
    }
    expect(frames.every((frame) => frame.totalParts === frames.length)).toBe(true);
    expect(transitionFrames(text, null, "t")).toEqual([text]);
  });
});
