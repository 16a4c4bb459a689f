/**
 * Order-preserving encoding of Convex values ("sort keys"), after Convex's
 * `crates/value/src/sorting.rs`, itself modeled on FoundationDB's tuple layer.
 *
 * Every value is a tag byte followed by a payload; the tags are chosen so that comparing two
 * encodings byte by byte gives Convex's total order of values:
 *
 * ```text
 * 0x01 undefined (a missing field; sorts before everything)
 * 0x03 null
 * 0x04..0x0C int64: 0x08 is zero; 0x08 - k / 0x08 + k (k = 1..4) are negative / positive numbers
 *      stored in 1, 2, 4 or 8 big-endian two's complement bytes
 * 0x0D float64: 8 bytes, IEEE total order (negative: all bits flipped; otherwise: sign bit set)
 * 0x0E false, 0x0F true
 * 0x10 string: UTF-8 bytes, 0x00 escaped as 0x00 0xFF, terminated by 0x00
 * 0x11 bytes: the same escaping and terminator
 * 0x12 array: the elements' encodings, then 0x00
 * 0x15 object: for each field in ascending name order, the escaped name (an empty name is followed
 *      by 0xFF), then the value's encoding; then 0x00
 * ```
 *
 * Keys are latin1 byte strings: JS strings whose char codes are all in 0..255, one char per byte,
 * so plain JS string comparison (`a < b`) is byte order. The encoding is self-delimiting, so a
 * tuple key is the concatenation of its elements' encodings and compares lexicographically by
 * element.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { CommitTsPlaceholder, type Value } from "convex/values";

/** An encoded index key: a latin1 byte string (every char code is 0..255). */
export type IndexKey = string;

/** `[start, end)` of index keys; `end === null` is unbounded above. */
export interface Interval {
  readonly start: IndexKey;
  readonly end: IndexKey | null;
}

const UNDEFINED_TAG = 0x01;
const NULL_TAG = 0x03;
const ZERO_INT64_TAG = 0x08;
const FLOAT64_TAG = 0x0d;
const FALSE_TAG = 0x0e;
const TRUE_TAG = 0x0f;
const STRING_TAG = 0x10;
const BYTES_TAG = 0x11;
const ARRAY_TAG = 0x12;
const OBJECT_TAG = 0x15;
const TERMINATOR = "\x00";
const ESCAPE = "\xff";

const MAX_INT64 = 2n ** 63n - 1n;
const MIN_INT64 = -(2n ** 63n);

/**
 * Encodes one Convex value. `undefined` stands for a missing field and sorts before every value.
 * A `CommitTsPlaceholder` (an unresolved `db.vars.commitTs`) encodes as the largest int64, as in
 * `compareValues`.
 *
 * @throws Error for anything that is not a Convex value (a bigint outside int64, a class instance).
 */
export function encodeValue(value: Value | undefined): IndexKey {
  if (value === undefined) {
    return String.fromCharCode(UNDEFINED_TAG);
  }
  if (value === null) {
    return String.fromCharCode(NULL_TAG);
  }
  if (typeof value === "bigint") {
    return encodeInt64(value);
  }
  if (typeof value === "number") {
    return encodeFloat64(value);
  }
  if (typeof value === "boolean") {
    return String.fromCharCode(value ? TRUE_TAG : FALSE_TAG);
  }
  if (typeof value === "string") {
    return String.fromCharCode(STRING_TAG) + escapeBytes(utf8ByteString(value));
  }
  if (value instanceof ArrayBuffer) {
    return String.fromCharCode(BYTES_TAG) + escapeBytes(bufferByteString(value));
  }
  if (value instanceof CommitTsPlaceholder) {
    return encodeInt64(MAX_INT64);
  }
  if (Array.isArray(value)) {
    return String.fromCharCode(ARRAY_TAG) + value.map(encodeValue).join("") + TERMINATOR;
  }
  if (isPlainObject(value)) {
    return encodeObject(value);
  }
  throw new Error(`Cannot encode ${String(value)} as an index key: not a Convex value`);
}

/**
 * Encodes a tuple of values (an index key: the indexed fields, then the document id) as the
 * concatenation of their encodings. `encodeIndexKey([a])` is a prefix of `encodeIndexKey([a, b])`
 * and tuples compare lexicographically by element.
 */
export function encodeIndexKey(values: ReadonlyArray<Value | undefined>): IndexKey {
  return values.map(encodeValue).join("");
}

/** Byte order of two keys: -1, 0 or 1. */
export function compareIndexKeys(a: IndexKey, b: IndexKey): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The smallest key greater than every key that starts with `key`: the exclusive end of the
 * interval of all keys with that prefix. Returns `null` when no such key exists (`key` is empty
 * or all 0xFF bytes), meaning the interval is unbounded above.
 */
export function prefixSuccessor(key: IndexKey): IndexKey | null {
  let end = key.length;
  while (end > 0 && key.charCodeAt(end - 1) === 0xff) {
    end -= 1;
  }
  if (end === 0) {
    return null;
  }
  return key.slice(0, end - 1) + String.fromCharCode(key.charCodeAt(end - 1) + 1);
}

/**
 * The exclusive end of the range of tuple keys whose leading values are exactly the values
 * encoded in `key` (a complete {@link encodeIndexKey} output): `key` followed by a 0xFF byte.
 *
 * Use this, not {@link prefixSuccessor}, for "all keys whose first values equal these": a string
 * (or bytes) encoding is a byte prefix of the encoding of the same string extended by a zero byte
 * (`"a"` is `10 61 00`, `"a\0"` is `10 61 00 FF 00`), so the byte-prefix range of `["a"]` also
 * holds `["a\0"]`. Every value's encoding starts with a tag below 0xFF, so `key + 0xFF` is above
 * every tuple that continues after the encoded values and below every other key that extends
 * `key` as bytes. (Convex's own `IndexRange::compile` uses the byte-prefix end here.)
 */
export function tuplePrefixEnd(key: IndexKey): IndexKey {
  return key + ESCAPE;
}

/** The smallest key strictly greater than `key`: `key` followed by a 0x00 byte. */
export function keySuccessor(key: IndexKey): IndexKey {
  return key + TERMINATOR;
}

/**
 * Decodes a tuple key produced by {@link encodeIndexKey} back into its values (`undefined` for
 * missing fields). Used to read positions back out of cursors and keys.
 *
 * @throws Error when `key` is not a well-formed encoding.
 */
export function decodeIndexKey(key: IndexKey): Array<Value | undefined> {
  const reader: Reader = { key, pos: 0 };
  const values: Array<Value | undefined> = [];
  while (reader.pos < key.length) {
    if (key.charCodeAt(reader.pos) === UNDEFINED_TAG) {
      reader.pos += 1;
      values.push(undefined);
    } else {
      values.push(readValue(reader));
    }
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers

function encodeInt64(n: bigint): IndexKey {
  if (n < MIN_INT64 || n > MAX_INT64) {
    throw new Error(`BigInt ${n} does not fit into a 64-bit signed integer.`);
  }
  if (n === 0n) {
    return String.fromCharCode(ZERO_INT64_TAG);
  }
  const width = int64Width(n);
  const tagDistance = Math.log2(width) + 1;
  const tag = n < 0n ? ZERO_INT64_TAG - tagDistance : ZERO_INT64_TAG + tagDistance;
  // Two's complement in `width` bytes, big-endian.
  const unsigned = BigInt.asUintN(width * 8, n);
  let out = "";
  for (let i = width - 1; i >= 0; i -= 1) {
    out += String.fromCharCode(Number((unsigned >> BigInt(i * 8)) & 0xffn));
  }
  return String.fromCharCode(tag) + out;
}

/** The number of bytes (1, 2, 4 or 8) that hold `n` in two's complement. */
function int64Width(n: bigint): 1 | 2 | 4 | 8 {
  if (n >= -128n && n <= 127n) return 1;
  if (n >= -32_768n && n <= 32_767n) return 2;
  if (n >= -2_147_483_648n && n <= 2_147_483_647n) return 4;
  return 8;
}

/** Scratch space for encodeFloat64 (synchronous use only): one allocation, not one per number. */
const FLOAT64_VIEW = new DataView(new ArrayBuffer(8));

function encodeFloat64(x: number): IndexKey {
  const view = FLOAT64_VIEW;
  view.setFloat64(0, x); // big-endian: the bytes sort as the sign-adjusted numbers do
  // Negative numbers: flip every bit. Others: set the sign bit (the first byte's top bit).
  const flip = (view.getUint8(0) & 0x80) !== 0 ? 0xff : 0;
  return String.fromCharCode(
    FLOAT64_TAG,
    flip === 0 ? view.getUint8(0) | 0x80 : view.getUint8(0) ^ flip,
    view.getUint8(1) ^ flip,
    view.getUint8(2) ^ flip,
    view.getUint8(3) ^ flip,
    view.getUint8(4) ^ flip,
    view.getUint8(5) ^ flip,
    view.getUint8(6) ^ flip,
    view.getUint8(7) ^ flip,
  );
}

function encodeObject(object: { [key: string]: Value | undefined }): IndexKey {
  let out = String.fromCharCode(OBJECT_TAG);
  for (const field of Object.keys(object).sort()) {
    const fieldValue = object[field];
    if (fieldValue === undefined) {
      continue; // Convex drops undefined fields.
    }
    out += escapeBytes(utf8ByteString(field));
    if (field === "") {
      // An empty name would look like the object's terminator: follow it with the escape byte.
      out += ESCAPE;
    }
    out += encodeValue(fieldValue);
  }
  return out + TERMINATOR;
}

/** Escapes 0x00 as 0x00 0xFF and appends the 0x00 terminator. */
function escapeBytes(bytes: string): IndexKey {
  return (
    (bytes.includes(TERMINATOR) ? bytes.replaceAll(TERMINATOR, TERMINATOR + ESCAPE) : bytes) +
    TERMINATOR
  );
}

/** The UTF-8 bytes of `s` as a latin1 byte string. */
function utf8ByteString(s: string): string {
  // Fast path: ASCII is its own UTF-8.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) {
    return s;
  }
  return Buffer.from(s, "utf8").toString("latin1");
}

function bufferByteString(buffer: ArrayBuffer): string {
  return Buffer.from(buffer).toString("latin1");
}

function isPlainObject(value: object): value is { [key: string]: Value | undefined } {
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return proto === null || proto === Object.prototype || proto.constructor?.name === "Object";
}

// ---------------------------------------------------------------------------------------------
// Decoding helpers

interface Reader {
  readonly key: string;
  pos: number;
}

function readByte(reader: Reader): number {
  if (reader.pos >= reader.key.length) {
    throw new Error("Malformed index key: unexpected end");
  }
  const byte = reader.key.charCodeAt(reader.pos);
  reader.pos += 1;
  return byte;
}

function peekByte(reader: Reader): number | undefined {
  return reader.pos < reader.key.length ? reader.key.charCodeAt(reader.pos) : undefined;
}

function readValue(reader: Reader): Value {
  const tag = readByte(reader);
  if (tag >= ZERO_INT64_TAG - 4 && tag <= ZERO_INT64_TAG + 4) {
    return readInt64(reader, tag);
  }
  switch (tag) {
    case NULL_TAG:
      return null;
    case FLOAT64_TAG:
      return readFloat64(reader);
    case FALSE_TAG:
      return false;
    case TRUE_TAG:
      return true;
    case STRING_TAG:
      return Buffer.from(readEscapedBytes(reader), "latin1").toString("utf8");
    case BYTES_TAG: {
      const bytes = Buffer.from(readEscapedBytes(reader), "latin1");
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    case ARRAY_TAG: {
      const elements: Value[] = [];
      while (peekByte(reader) !== 0x00) {
        elements.push(readValue(reader));
      }
      reader.pos += 1;
      return elements;
    }
    case OBJECT_TAG:
      return readObject(reader);
    default:
      throw new Error(`Malformed index key: unknown tag 0x${tag.toString(16)}`);
  }
}

function readInt64(reader: Reader, tag: number): bigint {
  if (tag === ZERO_INT64_TAG) {
    return 0n;
  }
  const width = 2 ** (Math.abs(tag - ZERO_INT64_TAG) - 1);
  let unsigned = 0n;
  for (let i = 0; i < width; i += 1) {
    unsigned = (unsigned << 8n) | BigInt(readByte(reader));
  }
  return BigInt.asIntN(width * 8, unsigned);
}

function readFloat64(reader: Reader): number {
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 8; i += 1) {
    view.setUint8(i, readByte(reader));
  }
  const signSet = (view.getUint8(0) & 0x80) !== 0;
  for (let i = 0; i < 8; i += 1) {
    const byte = view.getUint8(i);
    view.setUint8(i, signSet ? (i === 0 ? byte & 0x7f : byte) : byte ^ 0xff);
  }
  return view.getFloat64(0);
}

/** Reads an escaped, 0x00-terminated byte string and returns it unescaped. */
function readEscapedBytes(reader: Reader): string {
  let out = "";
  for (;;) {
    const end = reader.key.indexOf(TERMINATOR, reader.pos);
    if (end === -1) {
      throw new Error("Malformed index key: unterminated string");
    }
    out += reader.key.slice(reader.pos, end);
    reader.pos = end + 1;
    if (peekByte(reader) !== 0xff) {
      return out;
    }
    reader.pos += 1;
    out += TERMINATOR;
  }
}

function readObject(reader: Reader): { [key: string]: Value } {
  const object: { [key: string]: Value } = {};
  for (;;) {
    let field: string;
    if (peekByte(reader) === 0x00) {
      reader.pos += 1;
      if (peekByte(reader) !== 0xff) {
        return object;
      }
      reader.pos += 1;
      field = "";
    } else {
      field = Buffer.from(readEscapedBytes(reader), "latin1").toString("utf8");
    }
    Object.defineProperty(object, field, {
      value: readValue(reader),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}
