/**
 * Exactly-once records (`_session_requests`) are kept for replays, then swept: a re-sent
 * Mutation is answered from its record while it exists; after the sweep the record and its
 * document are gone (so the table does not grow forever).
 */
import { describe, expect, it } from "vitest";
import { counters, httpClient, serve } from "./support/clients.ts";
import { RawSyncSocket } from "./support/raw_socket.ts";

function incrementMessage(requestId: number) {
  return { type: "Mutation", requestId, udfPath: "counters:increment", args: [{ name: "swept" }] };
}

describe("session request records", () => {
  it("answer replays until they are swept, then are deleted", async () => {
    await using backend = await serve();
    const engine = backend.engine;
    await using first = await RawSyncSocket.connect(backend.url);
    first.send(incrementMessage(0));
    const original = await first.expect("MutationResponse");
    expect(original).toMatchObject({ success: true, result: 1 });

    // A replay on a new socket of the same session: answered from the record, not run again.
    await using second = await RawSyncSocket.connect(backend.url, { sessionId: first.sessionId });
    second.send(incrementMessage(0));
    expect(await second.expect("MutationResponse")).toEqual(original);
    expect(await httpClient(backend.url).query(counters.get, { name: "swept" })).toBe(1);

    // A sweep with a cutoff in the future removes the record and its document.
    const recordsBefore = engine.store.count("_session_requests");
    expect(await engine.sessionRequests.sweep(Date.now() + 60_000)).toBe(1);
    expect(engine.store.count("_session_requests")).toBe(recordsBefore - 1);
    expect(engine.sessionRequests.lookup(first.sessionId, 0)).toBeUndefined();
    // Nothing left to sweep.
    expect(await engine.sessionRequests.sweep(Date.now() + 60_000)).toBe(0);
  });
});
