/**
 * The index key encoding must order keys exactly as Convex orders values, so that a range of
 * bytes in a sorted index is a range of values.
 *
 * The stories: first the order across and within types, byte for byte where the layout matters
 * (tags, int64 widths, floats, escaping); then the tuple rules that index ranges rely on (prefixes,
 * lexicographic order, successors); and last, properties over arbitrary values checked against
 * `compareValues`, Convex's own ordering exported by `convex/values`.
 */
import { CommitTsPlaceholder, compareValues, type Value } from "convex/values";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareIndexKeys,
  decodeIndexKey,
  encodeIndexKey,
  encodeValue,
  keySuccessor,
  prefixSuccessor,
  tuplePrefixEnd,
} from "../../../engine/values/index_key.ts";

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/** The bytes of a key, for byte-exact assertions. */
function bytes(key: string): number[] {
  return [...key].map((char) => char.charCodeAt(0));
}

/** An ArrayBuffer holding `values`. */
function buffer(...values: number[]): ArrayBuffer {
  return Uint8Array.from(values).buffer;
}

/** A float64 with the given bit pattern (hex, 16 digits). */
function floatFromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Asserts that the encodings of `values` are strictly ascending, in the order given. */
function expectAscending(values: Array<Value | undefined>): void {
  const keys = values.map(encodeValue);
  for (let i = 1; i < keys.length; i += 1) {
    expect(compareIndexKeys(keys[i - 1]!, keys[i]!), `${i - 1} < ${i}`).toBe(-1);
  }
}

describe("the order of values", () => {
  it("orders types: undefined < null < int64 < float64 < boolean < string < bytes < array < object", () => {
    // One value per type, each the "largest" of its kind where that is easy to write, to show the
    // type decides before the payload.
    expectAscending([
      undefined,
      null,
      MAX_INT64,
      -Infinity,
      Number.NaN,
      false,
      true,
      "",
      "\u{10ffff}",
      buffer(),
      buffer(0xff, 0xff),
      [],
      [{ z: "z" }],
      {},
    ]);
  });

  it("writes one tag byte per type, as sorting.rs does", () => {
    expect(bytes(encodeValue(undefined))).toEqual([0x01]);
    expect(bytes(encodeValue(null))).toEqual([0x03]);
    expect(bytes(encodeValue(false))).toEqual([0x0e]);
    expect(bytes(encodeValue(true))).toEqual([0x0f]);
    expect(bytes(encodeValue(""))).toEqual([0x10, 0x00]);
    expect(bytes(encodeValue(buffer()))).toEqual([0x11, 0x00]);
    expect(bytes(encodeValue([]))).toEqual([0x12, 0x00]);
    expect(bytes(encodeValue({}))).toEqual([0x15, 0x00]);
  });

  it("stores int64 in the fewest of 1, 2, 4 or 8 bytes, the width in the tag", () => {
    // Zero is its own tag; the tag moves away from 0x08 as the width grows.
    expect(bytes(encodeValue(0n))).toEqual([0x08]);
    expect(bytes(encodeValue(1n))).toEqual([0x09, 0x01]);
    expect(bytes(encodeValue(127n))).toEqual([0x09, 0x7f]);
    expect(bytes(encodeValue(128n))).toEqual([0x0a, 0x00, 0x80]);
    expect(bytes(encodeValue(-1n))).toEqual([0x07, 0xff]);
    expect(bytes(encodeValue(-129n))).toEqual([0x06, 0xff, 0x7f]);
    expect(bytes(encodeValue(2n ** 31n))).toEqual([0x0c, 0, 0, 0, 0, 0x80, 0, 0, 0]);
    expect(bytes(encodeValue(MIN_INT64))).toEqual([0x04, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    // And the widths never break the order at their boundaries.
    expectAscending([
      MIN_INT64,
      -(2n ** 31n) - 1n,
      -(2n ** 31n),
      -32_769n,
      -32_768n,
      -129n,
      -128n,
      -1n,
      0n,
      1n,
      127n,
      128n,
      32_767n,
      32_768n,
      2n ** 31n - 1n,
      2n ** 31n,
      MAX_INT64,
    ]);
  });

  it("orders float64 in IEEE total order: -NaN < -inf < -1 < -0 < 0 < 1 < inf < NaN", () => {
    // A NaN with the sign bit set (V8 keeps the bits of a NaN read from a DataView).
    const negativeNaN = floatFromBits("fff8000000000000");
    expect(Number.isNaN(negativeNaN)).toBe(true);
    expectAscending([
      negativeNaN,
      -Infinity,
      -Number.MAX_VALUE,
      -1,
      -Number.MIN_VALUE,
      -0,
      0,
      Number.MIN_VALUE,
      1,
      Number.MAX_VALUE,
      Infinity,
      Number.NaN,
    ]);
    // Positive numbers get the sign bit set; negative ones have every bit flipped.
    expect(bytes(encodeValue(0))).toEqual([0x0d, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    expect(bytes(encodeValue(-0))).toEqual([0x0d, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });

  it("keeps int64 and float64 apart: every int64 sorts before every float64", () => {
    expectAscending([MAX_INT64, -Infinity]);
    expect(encodeValue(3n)).not.toBe(encodeValue(3));
  });

  it('orders strings by UTF-8 bytes: "a" < "a\\0" < "a\\x01" < "ab"', () => {
    expectAscending(["", "a", "a\0", "a\0\0", "a\0b", "a\x01", "ab", "b"]);
    // A zero byte inside is escaped as 0x00 0xFF; the string ends with 0x00.
    expect(bytes(encodeValue("a\0"))).toEqual([0x10, 0x61, 0x00, 0xff, 0x00]);
    // UTF-16 puts U+10000 (a surrogate pair, 0xD800...) before U+FFFF; UTF-8 does not.
    expect("\u{10000}" < "\uffff").toBe(true);
    expectAscending(["\uffff", "\u{10000}"]);
    expect(bytes(encodeValue("é"))).toEqual([0x10, 0xc3, 0xa9, 0x00]);
  });

  it("orders bytes by content, embedded zero bytes included", () => {
    expectAscending([buffer(), buffer(0), buffer(0, 0), buffer(0, 1), buffer(1), buffer(0xff)]);
    expect(bytes(encodeValue(buffer(0, 0xff)))).toEqual([0x11, 0x00, 0xff, 0xff, 0x00]);
  });

  it("orders arrays element by element, shorter first", () => {
    expectAscending([[], [null], [null, null], [1n], [1n, 0n], [2n], ["a"], [[]]]);
  });

  it("orders objects as sorted (name, value) lists, and drops undefined fields", () => {
    expectAscending([{}, { "": null }, { a: null }, { a: 1n }, { a: 1n, b: null }, { b: null }]);
    // Field order in the JS object does not matter.
    expect(encodeValue({ b: 1n, a: 2n })).toBe(encodeValue({ a: 2n, b: 1n }));
    // A field set to undefined is a missing field, as in a Convex document.
    expect(encodeValue({ a: undefined, b: 1n })).toBe(encodeValue({ b: 1n }));
    // An empty field name is followed by 0xFF so it cannot read as the end of the object.
    expect(bytes(encodeValue({ "": null }))).toEqual([0x15, 0x00, 0xff, 0x03, 0x00]);
  });

  it("encodes an unresolved commit timestamp as the largest int64", () => {
    expect(encodeValue(new CommitTsPlaceholder())).toBe(encodeValue(MAX_INT64));
  });

  it("refuses what is not a Convex value", () => {
    expect(() => encodeValue(2n ** 63n)).toThrow(/64-bit signed integer/);
    expect(() => encodeValue(new Map() as unknown as Value)).toThrow(/not a Convex value/);
  });

  it("produces latin1 byte strings: one char per byte", () => {
    const key = encodeValue({ emoji: "🎉", n: -1.5, big: MIN_INT64, raw: buffer(0, 200, 255) });
    expect([...key].every((char) => char.charCodeAt(0) <= 0xff)).toBe(true);
  });
});

describe("tuples", () => {
  it("concatenates the elements, so a shorter tuple is a prefix of a longer one", () => {
    const one = encodeIndexKey(["pizza"]);
    const two = encodeIndexKey(["pizza", 3]);
    expect(two.startsWith(one)).toBe(true);
    expect(two).toBe(encodeValue("pizza") + encodeValue(3));
    expect(encodeIndexKey([])).toBe("");
  });

  it("sorts a missing field (undefined) before null and every value", () => {
    expect(compareIndexKeys(encodeIndexKey(["a", undefined]), encodeIndexKey(["a", null]))).toBe(
      -1,
    );
    expect(compareIndexKeys(encodeIndexKey([undefined, "z"]), encodeIndexKey([null, "a"]))).toBe(
      -1,
    );
  });

  it("decides on the first element even when a string in it is a prefix of the other's", () => {
    // "a" < "a\0" must hold whatever follows: "a" then 1 vs "a\0" then 0.
    expect(compareIndexKeys(encodeIndexKey(["a", 1n]), encodeIndexKey(["a\0", 0n]))).toBe(-1);
    expect(compareIndexKeys(encodeIndexKey([[], 9n]), encodeIndexKey([[null], 0n]))).toBe(-1);
  });

  it("decodes back to the values, missing fields included", () => {
    const values = ["a\0b", undefined, -0, 1n, buffer(0, 1), { x: [true, null] }, { "": 1 }];
    const decoded = decodeIndexKey(encodeIndexKey(values));
    expect(encodeIndexKey(decoded)).toBe(encodeIndexKey(values));
    expect(decoded[1]).toBeUndefined();
    expect(Object.is(decoded[2], -0)).toBe(true);
  });

  it("rejects malformed keys when decoding", () => {
    expect(() => decodeIndexKey("\x10abc")).toThrow(/unterminated/);
    expect(() => decodeIndexKey("\x02")).toThrow(/unknown tag/);
    expect(() => decodeIndexKey("\x0d\x80")).toThrow(/unexpected end/);
  });
});

describe("successors", () => {
  it("keySuccessor is the next key: nothing fits between", () => {
    const key = encodeIndexKey(["a"]);
    expect(keySuccessor(key)).toBe(`${key}\x00`);
    expect(compareIndexKeys(key, keySuccessor(key))).toBe(-1);
  });

  it("prefixSuccessor ends the range of all keys with a prefix", () => {
    expect(prefixSuccessor("ab")).toBe("ac");
    // Trailing 0xFF bytes cannot be incremented: they are dropped and the byte before is.
    expect(prefixSuccessor("a\xff\xff")).toBe("b");
    // No key is greater than every key starting with "\xff": the range is unbounded.
    expect(prefixSuccessor("\xff\xff")).toBeNull();
    expect(prefixSuccessor("")).toBeNull();
  });

  it('a byte-prefix range of ["a"] also holds ["a\\0"]; tuplePrefixEnd does not', () => {
    const start = encodeIndexKey(["a"]);
    const withZero = encodeIndexKey(["a\0", 1n]);
    // The trap: "a" then terminator is a byte prefix of "a", zero byte escaped as 00 FF.
    expect(withZero > start && withZero < prefixSuccessor(start)!).toBe(true);
    // The tuple-aware end stops before it, and still holds every tuple that starts with "a".
    expect(withZero >= tuplePrefixEnd(start)).toBe(true);
    expect(encodeIndexKey(["a", { z: [MAX_INT64] }]) < tuplePrefixEnd(start)).toBe(true);
  });

  it("the encoded prefix of a string covers exactly the tuples that start with it", () => {
    const prefix = encodeIndexKey(["pizza"]);
    const end = prefixSuccessor(prefix)!;
    for (const second of [undefined, null, MAX_INT64, "zzz", { z: [] }]) {
      const key = encodeIndexKey(["pizza", second]);
      expect(key >= prefix && key < end).toBe(true);
    }
    // A longer string is a different first element and falls outside.
    const longer = encodeIndexKey(["pizzas"]);
    expect(longer >= prefix && longer < end).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties against Convex's own order.

const fieldName = fc
  .string({
    unit: fc.integer({ min: 32, max: 126 }).map((code) => String.fromCharCode(code)),
    maxLength: 6,
  })
  .filter((name) => !name.startsWith("$"));

const int64 = fc.oneof(
  fc.bigInt({ min: -300n, max: 300n }),
  fc.bigInt({ min: -(2n ** 33n), max: 2n ** 33n }),
  fc.bigInt({ min: MIN_INT64, max: MAX_INT64 }),
  fc.constantFrom(MIN_INT64, MAX_INT64, -129n, -128n, 127n, 128n, -32_769n, 32_768n),
);

const bytesValue = fc
  .uint8Array({ maxLength: 6 })
  .chain((random) => fc.constant(random.map((byte) => (byte < 64 ? 0 : byte))))
  .map((array): Value => array.slice().buffer);

const scalar: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  int64,
  fc.double(),
  fc.boolean(),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.string({ unit: fc.constantFrom("a", "b", "\0", "é", "\u{10000}"), maxLength: 4 }),
  bytesValue,
);

const { value: convexValue } = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fieldName, tie("value"), { maxKeys: 3, noNullPrototype: true }),
  ),
}));

const valueOrMissing = fc.option(convexValue, { nil: undefined, freq: 8 });

describe("properties", () => {
  it("orders keys exactly as compareValues orders values", () => {
    fc.assert(
      fc.property(valueOrMissing, valueOrMissing, (a, b) => {
        expect(compareIndexKeys(encodeValue(a), encodeValue(b))).toBe(sign(compareValues(a, b)));
      }),
      { numRuns: 3000 },
    );
  });

  it("gives equal values equal keys (a value and a structural copy)", () => {
    fc.assert(
      fc.property(convexValue, (a) => {
        expect(encodeValue(structuredClone(a))).toBe(encodeValue(a));
      }),
    );
  });

  it("is self-delimiting: a key that is a byte prefix of another is continued by 0xFF", () => {
    // "a" (10 61 00) is a byte prefix of "a\0" (10 61 00 FF 00), and {} of {"": null}. The byte
    // after the shorter key is always 0xFF, which no tag uses, so whatever follows the shorter
    // value in a tuple (a tag or nothing) still sorts before the longer value.
    const text = fc.string({ unit: "binary", maxLength: 4 });
    const extended = fc.oneof(
      fc.tuple(text, text).map(([s, t]): [Value, Value] => [s, `${s}\0${t}`]),
      fc
        .tuple(fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ maxLength: 3 }))
        .map(([s, t]): [Value, Value] => [
          s.slice().buffer,
          Uint8Array.from([...s, 0, ...t]).buffer,
        ]),
      convexValue.map((x): [Value, Value] => [{}, { "": x }]),
    );
    const pair = fc.oneof(extended, fc.tuple(valueOrMissing, valueOrMissing));
    let prefixes = 0;
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const [ka, kb] = [encodeValue(a), encodeValue(b)];
        if (ka.length < kb.length && kb.startsWith(ka)) {
          prefixes += 1;
          expect(kb.charCodeAt(ka.length)).toBe(0xff);
        }
      }),
      { numRuns: 500 },
    );
    // The generator did exercise the prefix case.
    expect(prefixes).toBeGreaterThan(50);
  });

  it("tuplePrefixEnd bounds exactly the tuples that start with the encoded values", () => {
    fc.assert(
      fc.property(
        fc.array(valueOrMissing, { minLength: 1, maxLength: 2 }),
        fc.array(valueOrMissing, { maxLength: 3 }),
        (prefix, tuple) => {
          const start = encodeIndexKey(prefix);
          const key = encodeIndexKey(tuple);
          const startsWithPrefix =
            tuple.length >= prefix.length &&
            prefix.every((value, i) => compareValues(value, tuple[i]) === 0);
          expect(key >= start && key < tuplePrefixEnd(start)).toBe(startsWithPrefix);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("orders tuples lexicographically by element", () => {
    fc.assert(
      fc.property(
        fc.array(valueOrMissing, { maxLength: 3 }),
        fc.array(valueOrMissing, { maxLength: 3 }),
        (a, b) => {
          let expected = sign(a.length - b.length);
          for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
            const cmp = sign(compareValues(a[i], b[i]));
            if (cmp !== 0) {
              expected = cmp;
              break;
            }
          }
          expect(compareIndexKeys(encodeIndexKey(a), encodeIndexKey(b))).toBe(expected);
        },
      ),
    );
  });

  it("round-trips through decodeIndexKey", () => {
    fc.assert(
      fc.property(fc.array(valueOrMissing, { maxLength: 3 }), (values) => {
        const key = encodeIndexKey(values);
        const decoded = decodeIndexKey(key);
        expect(decoded).toHaveLength(values.length);
        expect(encodeIndexKey(decoded)).toBe(key);
      }),
    );
  });

  it("prefixSuccessor(p) is above every key starting with p and at most any other key above p", () => {
    const byteString = fc
      .array(fc.constantFrom(0x00, 0x01, 0x61, 0xfe, 0xff), { maxLength: 4 })
      .map((codes) => String.fromCharCode(...codes));
    fc.assert(
      fc.property(byteString, byteString, (prefix, other) => {
        const end = prefixSuccessor(prefix);
        // Every extension of the prefix is below the end.
        if (end !== null) {
          expect(prefix + other < end).toBe(true);
        }
        // Any key that does not extend the prefix and sorts above it is at or above the end.
        if (!other.startsWith(prefix) && other > prefix) {
          expect(end !== null && other >= end).toBe(true);
        }
      }),
    );
  });
});
