/**
 * Pagination cursors, tied to the query they came from and sealed with the deployment's secret,
 * as Convex's are (`Cursor {position, query_fingerprint}` in crates/common `query.rs`, encrypted
 * by its key broker). A cursor is the base64url text of
 *
 * ```text
 * version (1 byte, 0x02)
 * synthetic IV (16 bytes: the start of HMAC-SHA256(authentication key, plaintext))
 * AES-256-CTR(encryption key, IV) of the plaintext:
 *   query fingerprint (12 bytes: the start of a SHA-256, see `queryFingerprint`)
 *   position tag (1 byte: 0x00 past the end, 0x01 after a key, 0x02 at the start), then the
 *   key's bytes (after a key)
 * ```
 *
 * The IV is derived from the plaintext (SIV), so the same position of the same query always
 * gives the same cursor: a rerun whose page did not change sends an identical result, and the
 * client's page keys stay put. Nothing in a cursor can be read without the secret (its position
 * is an index key, possibly of a row the query's filter kept from the client), and an edited or
 * forged one fails the IV check.
 *
 * A cursor that does not decode, has another version or fails that check (cut short, edited, of
 * another deployment) fails with Convex's `InvalidCursor: Failed to parse cursor`; one whose
 * fingerprint is not the running query's fails with Convex's `InvalidCursor: ... from a different
 * query.` Both are function failures, so the message reaches the client, where
 * `usePaginatedQuery` looks for "InvalidCursor" and starts over.
 */
import { createCipheriv, createHash, createHmac, timingSafeEqual } from "node:crypto";
import { FunctionFailure } from "../errors.ts";
import { cursorFromOtherQueryText, cursorParseText } from "../convex_messages.ts";
import type { IndexKey } from "../values/index_key.ts";

const VERSION = 0x02;
const IV_BYTES = 16;
const FINGERPRINT_BYTES = 12;
const PAST_THE_END = 0x00;
const AFTER_KEY = 0x01;
const AT_START = 0x02;
/** Version, IV, fingerprint and position tag: the bytes of a cursor past the end. */
const FRAME_BYTES = 1 + IV_BYTES + FINGERPRINT_BYTES + 1;

/** What a query's cursors carry to tell it from every other query. */
export type QueryFingerprint = Buffer;

/**
 * The position before a query's first row: where a page of no items (`numItems: 0`), which reads
 * nothing, leaves its walk, so the next page starts with the first row.
 */
export const AT_THE_START: unique symbol = Symbol("at the start");

/** A position in a query's walk: after an index key, `null`: past the end, or at the start. */
export type CursorPosition = IndexKey | null | typeof AT_THE_START;

function sha256(bytes: Buffer | string): Buffer {
  return createHash("sha256").update(bytes).digest();
}

/**
 * The fingerprint of a query: what decides which documents it walks and in which order — its
 * source (table or index, range, order, search terms), its operators (filters) and the fields of
 * the index it walks (so a changed index definition invalidates old cursors). Not the page size:
 * that is no part of the query. `order: null` counts as the `"asc"` it means.
 */
export function queryFingerprint(
  query: { readonly source: object; readonly operators: readonly unknown[] },
  indexFields: readonly string[],
): QueryFingerprint {
  const source: object =
    "order" in query.source
      ? { ...query.source, order: query.source.order ?? "asc" }
      : query.source;
  const text = JSON.stringify([source, query.operators, indexFields]);
  return sha256(text).subarray(0, FINGERPRINT_BYTES);
}

function hmac(key: Buffer, data: Buffer | string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** A deployment's cursor keys, derived from its secret (Persistence `secret`). */
export class CursorKeys {
  private readonly encryption: Buffer;
  private readonly authentication: Buffer;

  constructor(secret: Buffer) {
    this.encryption = hmac(secret, "convex-graphql cursor encryption");
    this.authentication = hmac(secret, "convex-graphql cursor authentication");
  }

  private crypt(iv: Buffer, bytes: Buffer): Buffer {
    const cipher = createCipheriv("aes-256-ctr", this.encryption, iv);
    return Buffer.concat([cipher.update(bytes), cipher.final()]);
  }

  private syntheticIv(plaintext: Buffer): Buffer {
    return hmac(this.authentication, plaintext).subarray(0, IV_BYTES);
  }

  seal(plaintext: Buffer): string {
    const iv = this.syntheticIv(plaintext);
    return Buffer.concat([Buffer.of(VERSION), iv, this.crypt(iv, plaintext)]).toString("base64url");
  }

  /** The plaintext of a cursor this deployment sealed, or null. */
  open(cursor: string): Buffer | null {
    // base64url without padding: 4k, 4k+2 or 4k+3 characters (Buffer.from ignores what it can't read).
    if (!/^[A-Za-z0-9_-]*$/.test(cursor) || cursor.length % 4 === 1) return null;
    const bytes = Buffer.from(cursor, "base64url");
    if (bytes.length < FRAME_BYTES || bytes[0] !== VERSION) return null;
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const plaintext = this.crypt(iv, bytes.subarray(1 + IV_BYTES));
    return timingSafeEqual(iv, this.syntheticIv(plaintext)) ? plaintext : null;
  }
}

/** The cursor of `position` in the query of `fingerprint`. */
export function encodeCursor(
  keys: CursorKeys,
  fingerprint: QueryFingerprint,
  position: CursorPosition,
): string {
  const afterKey = typeof position === "string";
  const key = afterKey ? Buffer.from(position, "latin1") : Buffer.alloc(0);
  const tag = afterKey ? AFTER_KEY : position === null ? PAST_THE_END : AT_START;
  return keys.seal(Buffer.concat([fingerprint, Buffer.of(tag), key]));
}

/** The plaintext of a well-formed cursor, or null. */
function cursorPlaintext(keys: CursorKeys, cursor: string): Buffer | null {
  const plaintext = keys.open(cursor);
  if (plaintext === null) return null;
  const tag = plaintext[FINGERPRINT_BYTES];
  const keyBytes = plaintext.length - FINGERPRINT_BYTES - 1;
  if (tag === PAST_THE_END || tag === AT_START ? keyBytes !== 0 : tag !== AFTER_KEY) return null;
  return plaintext;
}

/**
 * The position a cursor names in the query of `fingerprint`.
 * @throws FunctionFailure `InvalidCursor` when the cursor does not parse or is another query's.
 */
export function decodeCursor(
  keys: CursorKeys,
  fingerprint: QueryFingerprint,
  cursor: string,
): CursorPosition {
  const plaintext = cursorPlaintext(keys, cursor);
  if (plaintext === null) throw new FunctionFailure(cursorParseText(cursor));
  if (!plaintext.subarray(0, FINGERPRINT_BYTES).equals(fingerprint)) {
    throw new FunctionFailure(cursorFromOtherQueryText());
  }
  if (plaintext[FINGERPRINT_BYTES] === PAST_THE_END) return null;
  if (plaintext[FINGERPRINT_BYTES] === AT_START) return AT_THE_START;
  return plaintext.subarray(FINGERPRINT_BYTES + 1).toString("latin1");
}
