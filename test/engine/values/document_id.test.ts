/**
 * Document ids in Convex's own format, so that ids from this engine look, sort and validate like
 * ids from a real deployment, and real ids decode here.
 *
 * The stories: known answers from Convex's sources (an id its test suite pins, and ids copied from
 * a real deployment), an independent re-derivation of the layout (varint, random bytes, Fletcher-16
 * footer, base32), the lengths per table number, and the rejections: every corruption of one char,
 * bad chars, bad lengths, table number 0 and non-canonical spellings.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ID_ALPHABET,
  decodeDocumentId,
  generateDocumentId,
  isDocumentId,
} from "../../../engine/values/document_id.ts";

/** The internal id of Convex's `test_document_id_stability`: 251, then each byte times 251. */
function stabilityInternalId(): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[0] = 251;
  for (let i = 1; i < 16; i += 1) {
    bytes[i] = (bytes[i - 1]! * 251) & 0xff;
  }
  return bytes;
}

/**
 * An independent encoder for the stories below: the whole byte string as one big number, cut into
 * 5-bit groups from the top, padded with zero bits at the end.
 */
function referenceEncode(tableNumber: number, internalId: Uint8Array): string {
  const varint: number[] = [];
  let rest = tableNumber;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    varint.push(rest > 0 ? low + 128 : low);
  } while (rest > 0);
  const body = [...varint, ...internalId];
  let c0 = 0;
  let c1 = 0;
  for (const byte of body) {
    c0 = (c0 + byte) % 256;
    c1 = (c1 + c0) % 256;
  }
  const all = [...body, c0, c1]; // footer (c1 << 8 | c0) ^ 0, little-endian
  const bitCount = all.length * 8;
  const charCount = Math.ceil(bitCount / 5);
  let n = all.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
  n <<= BigInt(charCount * 5 - bitCount);
  let out = "";
  for (let i = charCount - 1; i >= 0; i -= 1) {
    out += ID_ALPHABET[Number((n >> BigInt(i * 5)) & 31n)];
  }
  return out;
}

describe("known answers", () => {
  it("encodes the id pinned by Convex's test_document_id_stability (table 1017)", () => {
    expect(generateDocumentId(1017, stabilityInternalId())).toBe(
      "z43zp6c3e75gkmz1kfwj6mbbx5sw281h",
    );
    expect(decodeDocumentId("z43zp6c3e75gkmz1kfwj6mbbx5sw281h")).toEqual({
      tableNumber: 1017,
      internalId: stabilityInternalId(),
    });
  });

  it("decodes ids copied from Convex's sources and a real deployment", () => {
    // From sorting.rs's tests: an id of table 1 (31 chars).
    expect(decodeDocumentId("074wwt1x3qmwz35bvscy44eq2yngrt8")?.tableNumber).toBe(1);
    // A `_storage` id from the dashboard's stories; its checksum holds.
    expect(decodeDocumentId("kg25efbgcywfzkr6h78cjw1pzx85r2ha")?.tableNumber).toBe(540);
  });

  it("rejects the non-canonical id from Convex's test_id_decoding_one_to_one", () => {
    // It decodes to valid bytes, but those bytes encode to a different string.
    expect(decodeDocumentId("mz1xn7tymdnktmmzqy5xxhn7tjs2nkkfmtjjr")).toBeNull();
    // And the regression string whose table number varint runs into the random bytes.
    expect(decodeDocumentId("sssswsgggggggggsgcsssfafffsffks")).toBeNull();
  });
});

describe("layout", () => {
  it("matches an independent derivation for every size of table number", () => {
    for (const tableNumber of [
      1,
      127,
      128,
      10_001,
      16_383,
      16_384,
      2 ** 21,
      2 ** 28,
      2 ** 32 - 1,
    ]) {
      const random = randomBytes(16);
      expect(generateDocumentId(tableNumber, random)).toBe(referenceEncode(tableNumber, random));
    }
  });

  it("is 31 chars for tables 1..127, 32 up to 16383, and at most 37", () => {
    const random = new Uint8Array(16);
    expect(generateDocumentId(1, random)).toHaveLength(31);
    expect(generateDocumentId(127, random)).toHaveLength(31);
    expect(generateDocumentId(128, random)).toHaveLength(32);
    expect(generateDocumentId(10_001, random)).toHaveLength(32);
    expect(generateDocumentId(16_384, random)).toHaveLength(34);
    expect(generateDocumentId(2 ** 21, random)).toHaveLength(36);
    expect(generateDocumentId(2 ** 32 - 1, random)).toHaveLength(37);
  });

  it("uses only the lowercase alphabet without i, l, o, u", () => {
    const id = generateDocumentId(10_001, randomBytes(16));
    expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]+$/);
  });

  it("refuses table numbers and random parts no id can hold", () => {
    expect(() => generateDocumentId(0, new Uint8Array(16))).toThrow(/table number/);
    expect(() => generateDocumentId(2 ** 32, new Uint8Array(16))).toThrow(/table number/);
    expect(() => generateDocumentId(1.5, new Uint8Array(16))).toThrow(/table number/);
    expect(() => generateDocumentId(1, new Uint8Array(15))).toThrow(/16 bytes/);
  });
});

describe("round trips and rejections", () => {
  const tableNumber = fc.oneof(
    fc.integer({ min: 1, max: 200 }),
    fc.integer({ min: 10_000, max: 20_000 }),
    fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  );
  const internalId = fc.uint8Array({ minLength: 16, maxLength: 16 });

  it("decodes every generated id to its table number and random bytes", () => {
    fc.assert(
      fc.property(tableNumber, internalId, (table, random) => {
        const id = generateDocumentId(table, random);
        expect(decodeDocumentId(id)).toEqual({ tableNumber: table, internalId: random });
        expect(isDocumentId(id)).toBe(true);
      }),
    );
  });

  it("rejects every id with one char replaced by another", () => {
    fc.assert(
      fc.property(
        tableNumber,
        internalId,
        fc.nat(),
        fc.integer({ min: 1, max: 31 }),
        (table, random, position, shift) => {
          const id = generateDocumentId(table, random);
          const at = position % id.length;
          const replacement = ID_ALPHABET[(ID_ALPHABET.indexOf(id[at]!) + shift) % 32]!;
          const corrupted = id.slice(0, at) + replacement + id.slice(at + 1);
          expect(decodeDocumentId(corrupted)).toBeNull();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("rejects chars outside the alphabet, uppercase included", () => {
    const id = generateDocumentId(10_001, randomBytes(16));
    expect(decodeDocumentId(id.toUpperCase())).toBeNull();
    for (const bad of ["i", "l", "o", "u", "-", "é"]) {
      expect(decodeDocumentId(bad + id.slice(1))).toBeNull();
    }
  });

  it("rejects wrong lengths: too short, too long, or a truncated or extended valid id", () => {
    const id = generateDocumentId(10_001, randomBytes(16));
    expect(decodeDocumentId("")).toBeNull();
    expect(decodeDocumentId(id.slice(0, -1))).toBeNull();
    expect(decodeDocumentId(`${id}0`)).toBeNull();
    expect(decodeDocumentId("0".repeat(38))).toBeNull();
  });

  it("rejects table number 0 even with a valid checksum", () => {
    // The reference encoder happily writes table 0; the decoder must not accept it.
    expect(decodeDocumentId(referenceEncode(0, new Uint8Array(16)))).toBeNull();
    // Same bytes with table 1 are fine, so the rejection is about the table number.
    expect(decodeDocumentId(referenceEncode(1, new Uint8Array(16)))).not.toBeNull();
  });

  it("rejects a non-canonical last char (padding bits set)", () => {
    // 19 bytes = 152 bits; 31 chars carry 155, so the last char has 3 padding bits, all zero.
    const id = generateDocumentId(1, new Uint8Array(16));
    const last = ID_ALPHABET.indexOf(id.at(-1)!);
    const withPaddingBit = id.slice(0, -1) + ID_ALPHABET[last | 1]!;
    expect(withPaddingBit).not.toBe(id);
    expect(decodeDocumentId(withPaddingBit)).toBeNull();
  });
});
