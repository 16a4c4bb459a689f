// Stories for the subscription index: which live results a commit's written keys invalidate.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SubscriptionIndex } from "../../../engine/subscriptions/subscription_index.ts";
import { tupleBoundaries } from "../../../engine/subscriptions/tuple_prefixes.ts";
import { ReadSet } from "../../../engine/transactions/read_set.ts";
import { encodeIndexKey, encodeValue, tuplePrefixEnd } from "../../../engine/values/index_key.ts";

function eqRead(index: string, values: (string | number | bigint | boolean | null)[]): ReadSet {
  const reads = new ReadSet();
  const start = encodeIndexKey(values);
  reads.addInterval(index, { start, end: tuplePrefixEnd(start) });
  return reads;
}

describe("SubscriptionIndex", () => {
  it("finds exactly the equality reads, point reads and ranges a write touches", () => {
    const index = new SubscriptionIndex<string>();
    // Three live results: orders of table 2, orders of table 3, and a db.get of one id.
    index.add("table2", eqRead("orders.by_table", [2]));
    const table3 = index.add("table3", eqRead("orders.by_table", [3]));
    const byId = new ReadSet();
    byId.addPoint("orders.by_id", encodeValue("id1"));
    index.add("get id1", byId);
    // A range read: tables 10 to 20.
    const range = new ReadSet();
    range.addInterval("orders.by_table", {
      start: encodeIndexKey([10]),
      end: encodeIndexKey([20]),
    });
    index.add("tables 10-20", range);

    // An order for table 2 is inserted: its key is (table, _creationTime, _id).
    const insert = new Map([["orders.by_table", [encodeIndexKey([2, 1700000000000, "id9"])]]]);
    expect([...index.invalidated(insert)]).toEqual(["table2"]);

    // Order id1 moves from table 3 to table 15: old and new keys, plus its by_id key.
    const move = new Map([
      ["orders.by_table", [encodeIndexKey([3, 1, "id1"]), encodeIndexKey([15, 1, "id1"])]],
      ["orders.by_id", [encodeValue("id1")]],
    ]);
    expect([...index.invalidated(move)].sort()).toEqual(["get id1", "table3", "tables 10-20"]);

    // Once removed, a result is never hit again; writes to other indexes hit nothing.
    index.remove(table3);
    expect([...index.invalidated(move)].sort()).toEqual(["get id1", "tables 10-20"]);
    expect(
      index.invalidated(new Map([["users.by_token", [encodeIndexKey(["x", 1, "u"])]]])).size,
    ).toBe(0);
    expect(index.intervalCount()).toBe(3);
  });

  it("does not confuse a string with its extension by a zero byte", () => {
    const index = new SubscriptionIndex<string>();
    index.add("name a", eqRead("counters.by_name", ["a"]));
    const write = new Map([["counters.by_name", [encodeIndexKey(["a\u0000", 1, "id"])]]]);
    expect(index.invalidated(write).size).toBe(0);
  });

  it("splits keys into their values wherever they end (property)", () => {
    const scalar = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(scalar, { minLength: 1, maxLength: 5 }), (values) => {
        const expected: number[] = [];
        let offset = 0;
        for (const value of values) {
          offset += encodeValue(value).length;
          expected.push(offset);
        }
        expect(tupleBoundaries(encodeIndexKey(values))).toEqual(expected);
      }),
    );
  });
});
