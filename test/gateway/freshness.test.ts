/**
 * The freshness rule (gateway/upstream/freshness.ts) as a story, with no I/O: when may a
 * session's pushed results answer a read instead of Convex?
 */
import { describe, expect, it } from "vitest";
import {
  canRead,
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
