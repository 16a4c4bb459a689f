/**
 * Every Convex value survives the trip client -> arguments -> stored document -> query result
 * exactly: int64 at both ends of its range, bytes with zero bytes, NaN, -0 and the infinities,
 * deep arrays and objects.
 *
 * "Exactly" is checked on a canonical form that keeps what JavaScript equality hides: the type
 * (1n is not 1), the float's bits (-0 is not 0) and each byte of an ArrayBuffer.
 */
import { compareValues, convexToJson, type Value } from "convex/values";
import { describe, expect, it } from "vitest";
import { fixture, serve, type TypedFields } from "./support/fixture.ts";
import { step } from "../utils/waits.ts";

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

function bytes(...values: number[]): ArrayBuffer {
  return Uint8Array.from(values).buffer;
}

/** Sorts object keys recursively so that field order does not matter. */
function sortKeys(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(sortKeys);
  if (typeof json === "object" && json !== null) {
    return Object.fromEntries(
      Object.entries(json)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => [key, sortKeys(value)]),
    );
  }
  return json;
}

/**
 * A canonical text of a value: Convex's JSON encoding (which tags int64 as `$integer`, bytes as
 * `$bytes`, and NaN, ±0-sensitive and infinite floats as `$float` with their bits), keys sorted.
 */
function canonical(value: Value): string {
  return JSON.stringify(sortKeys(convexToJson(value)));
}

/** Values that are easy to damage on the way, each with a name for the report. */
const VALUES: ReadonlyArray<readonly [string, Value]> = [
  ["int64 zero", 0n],
  ["int64 minus one", -1n],
  ["int64 min (-2^63)", MIN_INT64],
  ["int64 max (2^63-1)", MAX_INT64],
  ["int64 above 2^53", 2n ** 53n + 1n],
  ["float zero", 0],
  ["float negative zero", -0],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["smallest subnormal", Number.MIN_VALUE],
  ["largest float", Number.MAX_VALUE],
  ["0.1", 0.1],
  ["2^53 as a float", 2 ** 53],
  ["empty bytes", new ArrayBuffer(0)],
  ["zero bytes", bytes(0, 0, 0)],
  ["bytes with zeros inside", bytes(0, 255, 1, 128, 0)],
  ["every byte value", bytes(...Array.from({ length: 256 }, (_, i) => i))],
  ["empty string", ""],
  ["string with NUL and emoji", "a\u0000b héllo 🌍"],
  ["true", true],
  ["false", false],
  ["null", null],
  ["empty array", []],
  ["nested empty arrays", [[[]], []]],
  ["mixed array", [1n, 2.5, "x", null, [true, bytes(0)], { k: -0 }]],
  ["empty object", {}],
  [
    "deep object",
    { a: { b: { c: [MIN_INT64, { d: bytes(0, 1), e: NaN, f: [Infinity, -Infinity] }] } } },
  ],
  ["unusual field names", { "with space": 1, "a-b": 2, "a.b": 3, _x: 4, "": 5 }],
];

describe("exact round trips of values", () => {
  it("tells apart what plain equality would not (guards the canonical form)", () => {
    expect(canonical(-0)).not.toBe(canonical(0));
    expect(canonical(1n)).not.toBe(canonical(1));
    expect(canonical(bytes(0))).not.toBe(canonical(bytes(0, 0)));
    expect(canonical({ a: 1, b: 2 })).toBe(canonical({ b: 2, a: 1 }));
  });

  it("returns arguments unchanged (args -> result)", async () => {
    await using app = await serve();
    for (const [name, value] of VALUES) {
      const echoed = await step(app.client.query(fixture.values.echo, { value }), name);
      expect(canonical(echoed), name).toBe(canonical(value));
    }
  });

  it("stores and reads back every value (args -> document -> result)", async () => {
    await using app = await serve();
    const ids = await step(
      Promise.all(
        VALUES.map(([label, value]) => app.client.mutation(fixture.values.store, { label, value })),
      ),
      "the stores",
    );
    for (const [index, [name, value]] of VALUES.entries()) {
      const loaded = await step(app.client.query(fixture.values.load, { id: ids[index]! }), name);
      expect(loaded?.label, name).toBe(name);
      expect(canonical(loaded!.value), name).toBe(canonical(value));
    }
  });

  it("finds each stored value through an index equality, telling -0 from 0", async () => {
    await using app = await serve();
    for (const [label, value] of VALUES) {
      await step(app.client.mutation(fixture.values.store, { label, value }), label);
    }
    for (const [name, value] of VALUES) {
      const found = await step(app.client.query(fixture.values.findByValue, { value }), name);
      expect(found, name).toEqual([name]);
    }
  });

  it("orders an index on values by Convex's total order of values", async () => {
    await using app = await serve();
    // Stored in the order given; the index must read them back sorted by `compareValues`.
    for (const [label, value] of VALUES) {
      await step(app.client.mutation(fixture.values.store, { label, value }), label);
    }
    const expected = [...VALUES]
      .sort(([, a], [, b]) => compareValues(a, b))
      .map(([label]) => label);
    expect(await step(app.client.query(fixture.values.inValueOrder, {}))).toEqual(expected);
  });

  it("keeps typed columns exact through v.int64(), v.bytes() and v.float64()", async () => {
    await using app = await serve();
    const documents: TypedFields[] = [
      {
        count: MIN_INT64,
        data: bytes(0, 0, 0, 0),
        ratio: -0,
        nested: [{ tags: ["", "a"], inner: { n: MAX_INT64 } }],
      },
      {
        count: MAX_INT64,
        data: new ArrayBuffer(0),
        ratio: NaN,
        nested: [],
      },
      {
        count: 0n,
        data: bytes(255, 0, 255),
        ratio: -Infinity,
        nested: [
          { tags: [], inner: { n: -1n } },
          { tags: ["x", "y", "z"], inner: { n: MIN_INT64 } },
        ],
      },
    ];
    for (const document of documents) {
      const id = await step(app.client.mutation(fixture.values.storeTyped, document));
      const loaded = await step(app.client.query(fixture.values.loadTyped, { id }));
      expect(loaded).not.toBeNull();
      expect(canonical(loaded as unknown as Value)).toBe(canonical(document as unknown as Value));
      expect(typeof loaded!.count).toBe("bigint");
      expect(loaded!.data).toBeInstanceOf(ArrayBuffer);
    }
  });
});
