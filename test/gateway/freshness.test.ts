/**
 * The freshness rule (gateway/upstream/freshness.ts) as a story, with no I/O: when may a
 * session's pushed results answer a read instead of Convex?
 */
import { describe, expect, it } from "vitest";
import {
  canRead,
  freshEnough,
  readMark,
  vouchFor,
  type SyncView,
  type Vouch,
} from "../../gateway/upstream/freshness.ts";

const none = (): Vouch | undefined => undefined;

/** A ready session on its first connection that synced at ts 10 with queries held. */
const synced: SyncView = {
  ready: true,
  holdsQueries: true,
  transitions: 3,
  transitionsAtLastRemoval: 1,
  syncedTs: 10n,
  syncedConnection: 1,
  connection: 1,
};

describe("the freshness rule", () => {
  it("a session that is not ready, or a watermark that is unknown, never answers", () => {
    expect(canRead({ ...synced, ready: false }, 0n, none)).toBe(false);
    expect(canRead(synced, null, none)).toBe(false);
  });

  it("a session synced at or after the watermark answers; one behind it does not", () => {
    expect(canRead(synced, 10n, none)).toBe(true);
    expect(canRead(synced, 11n, none)).toBe(false);
  });

  it("a sync from before a reconnect does not count", () => {
    expect(canRead({ ...synced, connection: 2 }, 5n, none)).toBe(false);
  });

  it("a session holding nothing, whose old results are gone, answers at any watermark", () => {
    const empty = { ...synced, holdsQueries: false, syncedTs: 1n };
    expect(canRead(empty, 99n, none)).toBe(true);
    // ... but not while it may still hold results of a query that just ended.
    expect(canRead({ ...empty, transitionsAtLastRemoval: 3 }, 99n, none)).toBe(false);
  });

  it("a read that found what the session holds vouches for its operation until the next Transition", () => {
    // Another identity wrote at 20: this session is behind the watermark.
    expect(canRead(synced, 20n, none)).toBe(false);
    const mark = readMark(synced, 20n);
    expect(mark).toEqual({ transitions: 3, connection: 1, watermark: 20n });
    if (mark === null) return;
    const vouch = vouchFor(mark, synced, true);
    expect(vouch).toEqual({ watermark: 20n, connection: 1 });
    expect(canRead(synced, 20n, () => vouch ?? undefined)).toBe(true);
    // A later write raises the watermark past the vouch.
    expect(canRead(synced, 21n, () => vouch ?? undefined)).toBe(false);
  });

  it("no vouch when the read found other results, or a Transition or reconnect came in between", () => {
    const mark = readMark(synced, 20n);
    if (mark === null) throw new Error("a ready session holding queries has a mark");
    expect(vouchFor(mark, synced, false)).toBeNull();
    expect(vouchFor(mark, { ...synced, transitions: 4 }, true)).toBeNull();
    expect(vouchFor(mark, { ...synced, connection: 2 }, true)).toBeNull();
  });

  it("nothing to vouch for without held queries or a known watermark", () => {
    expect(readMark({ ...synced, holdsQueries: false }, 20n)).toBeNull();
    expect(readMark(synced, null)).toBeNull();
    expect(readMark({ ...synced, ready: false }, 20n)).toBeNull();
  });
});

describe("a read at the backend's latest timestamp (Cache-Control: no-cache)", () => {
  const unproven = { openedOn: null };

  it("takes the session's state when that state is at or after the latest timestamp read", () => {
    // Nothing proven by the run itself: the latest timestamp (read after it started) decides.
    expect(freshEnough(synced, unproven, null)).toBe(false);
    expect(freshEnough(synced, unproven, 10n)).toBe(true);
    // A commit at 11 the session was not told about (it reads none of its data): upstream.
    expect(freshEnough(synced, unproven, 11n)).toBe(false);
  });

  it("needs no timestamp when the run opened a subscription answered on this connection", () => {
    // That Transition was computed after the backend saw the subscription: at its latest then.
    expect(freshEnough(synced, { openedOn: 1 }, null)).toBe(true);
    // ... but not one answered before a reconnect, nor a session that is not ready.
    expect(freshEnough({ ...synced, connection: 2 }, { openedOn: 1 }, null)).toBe(false);
    expect(freshEnough({ ...synced, ready: false }, { openedOn: 1 }, 0n)).toBe(false);
  });

  it("never takes a state synced on an earlier connection", () => {
    const reconnected = { ...synced, connection: 2 };
    expect(freshEnough(reconnected, { openedOn: 2 }, 0n)).toBe(false);
  });
});
