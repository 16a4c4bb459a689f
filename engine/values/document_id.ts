/**
 * Convex document ids in the backend's real format (`crates/value/src/id_v6.rs`, `base32.rs`).
 *
 * ```text
 * bytes  = varint(table number) ‖ internal id (16 bytes) ‖ footer (2 bytes, little-endian)
 * varint = 7-bit groups, least significant first, high bit set on every byte but the last (1-5 bytes)
 * footer = fletcher16(varint ‖ internal id) XOR version (0)
 * id     = base32(bytes), alphabet 0123456789abcdefghjkmnpqrstvwxyz, 5 bits at a time from the
 *          most significant bit of each 5-byte group, no padding
 * ```
 *
 * Ids are 31 chars for table numbers 1..127, 32 for 128..16383, and up to 37. Decoding re-encodes
 * and demands an exact match, so every id has exactly one spelling.
 *
 * @module
 */

/** The base32 alphabet of Convex ids (Crockford's, lowercase: no i, l, o, u). */
export const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** Length in bytes of the random part of an id. */
export const INTERNAL_ID_LENGTH = 16;

/** The largest table number an id can carry (u32). */
export const MAX_TABLE_NUMBER = 0xffff_ffff;

const VERSION = 0;
const FOOTER_LENGTH = 2;
const MIN_ID_LENGTH = base32Length(1 + INTERNAL_ID_LENGTH + FOOTER_LENGTH);
const MAX_ID_LENGTH = base32Length(5 + INTERNAL_ID_LENGTH + FOOTER_LENGTH);

const DECODE_TABLE: ReadonlyMap<string, number> = new Map(
  [...ID_ALPHABET].map((char, index) => [char, index]),
);

/** A decoded id: the table number it belongs to and its 16 random bytes. */
export interface DecodedDocumentId {
  tableNumber: number;
  internalId: Uint8Array;
}

/**
 * Encodes the id of a document of table `tableNumber` whose random part is `random16`.
 *
 * @throws Error when `tableNumber` is not an integer in 1..2^32-1 or `random16` is not 16 bytes:
 *   both are programming errors.
 */
export function generateDocumentId(tableNumber: number, random16: Uint8Array): string {
  if (!Number.isInteger(tableNumber) || tableNumber < 1 || tableNumber > MAX_TABLE_NUMBER) {
    throw new Error(`Invalid table number ${tableNumber}: expected an integer in 1..2^32-1`);
  }
  if (random16.length !== INTERNAL_ID_LENGTH) {
    throw new Error(`Invalid internal id: expected 16 bytes, got ${random16.length}`);
  }
  const body = [...varintEncode(tableNumber), ...random16];
  const footer = fletcher16(body) ^ VERSION;
  return base32Encode([...body, footer & 0xff, footer >>> 8]);
}

/**
 * Decodes an id, or returns `null` when `id` is not one: wrong length, a character outside the
 * alphabet, a bad varint or table number 0, a bad checksum, or a non-canonical spelling.
 */
export function decodeDocumentId(id: string): DecodedDocumentId | null {
  if (id.length < MIN_ID_LENGTH || id.length > MAX_ID_LENGTH) {
    return null;
  }
  const bytes = base32Decode(id);
  if (bytes === null) {
    return null;
  }
  const varint = varintDecode(bytes);
  if (varint === null || varint.value === 0) {
    return null;
  }
  const footerStart = varint.length + INTERNAL_ID_LENGTH;
  if (bytes.length !== footerStart + FOOTER_LENGTH) {
    return null;
  }
  const footer = bytes[footerStart]! | (bytes[footerStart + 1]! << 8);
  if (footer !== (fletcher16(bytes.slice(0, footerStart)) ^ VERSION)) {
    return null;
  }
  const internalId = Uint8Array.from(bytes.slice(varint.length, footerStart));
  // One spelling per id: trailing bits of the last base32 char must be zero, etc.
  if (generateDocumentId(varint.value, internalId) !== id) {
    return null;
  }
  return { tableNumber: varint.value, internalId };
}

/** Whether `id` is a well-formed document id (of any table). */
export function isDocumentId(id: string): boolean {
  return decodeDocumentId(id) !== null;
}

// ---------------------------------------------------------------------------------------------

/** The number of base32 chars for `byteLength` bytes (no padding). */
function base32Length(byteLength: number): number {
  const tail = [0, 2, 4, 5, 7][byteLength % 5]!;
  return Math.floor(byteLength / 5) * 8 + tail;
}

/** Unsigned LEB128-style varint: 7 bits per byte, least significant group first. */
function varintEncode(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/** Reads a varint of at most 5 bytes that fits a u32, or returns null. */
function varintDecode(bytes: readonly number[]): { value: number; length: number } | null {
  let value = 0;
  for (let i = 0; i < 5 && i < bytes.length; i += 1) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) {
      return value > MAX_TABLE_NUMBER ? null : { value, length: i + 1 };
    }
  }
  return null;
}

/** Fletcher-16 with modulus 256: low byte is the running sum, high byte the sum of sums. */
function fletcher16(bytes: readonly number[]): number {
  let sum = 0;
  let sumOfSums = 0;
  for (const byte of bytes) {
    sum = (sum + byte) & 0xff;
    sumOfSums = (sumOfSums + sum) & 0xff;
  }
  return (sumOfSums << 8) | sum;
}

/** Base32 without padding: each 5-byte group becomes 8 chars, most significant bits first. */
function base32Encode(bytes: readonly number[]): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ID_ALPHABET[(buffer >> bits) & 0x1f];
    }
  }
  if (bits > 0) {
    out += ID_ALPHABET[(buffer << (5 - bits)) & 0x1f];
  }
  return out;
}

/** Inverse of {@link base32Encode}; leftover bits are dropped. Null on a bad character. */
function base32Decode(text: string): number[] | null {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const index = DECODE_TABLE.get(char);
    if (index === undefined) {
      return null;
    }
    buffer = ((buffer << 5) | index) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return out;
}
