// Stories for the pure cores of OCC: interval sets, read sets and their intersection with writes.
import { describe, expect, it } from "vitest";
import { IntervalSet } from "../../../engine/transactions/interval_set.ts";
import { ReadSet } from "../../../engine/transactions/read_set.ts";
import { encodeIndexKey, prefixSuccessor } from "../../../engine/values/index_key.ts";

describe("IntervalSet", () => {
  it("merges overlapping and touching intervals and keeps disjoint ones apart", () => {
    const set = new IntervalSet();
    set.add({ start: "b", end: "d" });
    set.add({ start: "f", end: "h" });
    expect(set.list()).toEqual([
      { start: "b", end: "d" },
      { start: "f", end: "h" },
    ]);
    // [d, f) touches both neighbours: everything becomes one interval.
    set.add({ start: "d", end: "f" });
    expect(set.list()).toEqual([{ start: "b", end: "h" }]);
    // An unbounded interval swallows whatever starts after it.
    set.add({ start: "g", end: null });
    set.add({ start: "x", end: "z" });
    expect(set.list()).toEqual([{ start: "b", end: null }]);
  });

  it("ignores empty intervals and answers membership with half-open bounds", () => {
    const set = new IntervalSet();
    set.add({ start: "c", end: "c" });
    expect(set.size).toBe(0);
    set.add({ start: "c", end: "e" });
    expect(set.contains("b")).toBe(false);
    expect(set.contains("c")).toBe(true);
    expect(set.contains("d\xff")).toBe(true);
    expect(set.contains("e")).toBe(false);
  });
});

describe("ReadSet", () => {
  // A query read orders.by_status for status "placed" (an equality prefix of the index).
  const placed = encodeIndexKey(["placed"]);
  const placedRange = { start: placed, end: prefixSuccessor(placed) };

  it("is hit by a write whose old or new key lands in a range it read", () => {
    const reads = new ReadSet();
    reads.addInterval("orders.by_status", placedRange);
    // An order moving from "ready" to "served" touches neither key range: no conflict.
    const unrelated = new Map([
      [
        "orders.by_status",
        [encodeIndexKey(["ready", 1, "id1"]), encodeIndexKey(["served", 1, "id1"])],
      ],
    ]);
    expect(reads.firstOverlap(unrelated)).toBeNull();
    // An order leaving "placed" (its old key is in the range) invalidates the read.
    const leaving = new Map([
      [
        "orders.by_status",
        [encodeIndexKey(["placed", 2, "id2"]), encodeIndexKey(["preparing", 2, "id2"])],
      ],
    ]);
    expect(reads.firstOverlap(leaving)).toEqual({
      index: "orders.by_status",
      key: encodeIndexKey(["placed", 2, "id2"]),
    });
  });

  it("catches phantoms: an insert into a range that returned nothing", () => {
    const reads = new ReadSet();
    reads.addInterval("orders.by_status", placedRange); // the scan found no document
    const insert = new Map([["orders.by_status", [encodeIndexKey(["placed", 3, "id3"])]]]);
    expect(reads.firstOverlap(insert)).not.toBeNull();
  });

  it("records point reads of missing documents, and only writes on read indexes matter", () => {
    const reads = new ReadSet();
    reads.addPoint("users.by_id", encodeIndexKey(["missing-id"]));
    const otherIndex = new Map([["users.by_token", [encodeIndexKey(["missing-id"])]]]);
    expect(reads.firstOverlap(otherIndex)).toBeNull();
    const createsIt = new Map([["users.by_id", [encodeIndexKey(["missing-id"])]]]);
    expect(reads.firstOverlap(createsIt)).not.toBeNull();
    expect(reads.intervalCount()).toBe(1);
  });
});
