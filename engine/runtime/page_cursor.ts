/**
 * Pagination cursors, tied to the query they came from (as Convex's are: `Cursor {position,
 * query_fingerprint}` in crates/common `query.rs`). A cursor is the base64url text of
 *
 * ```text
 * version (1 byte, 0x01)
 * query fingerprint (12 bytes: the start of a SHA-256, see `queryFingerprint`)
 * position tag (1 byte: 0x00 past the end, 0x01 after a key), then the key's bytes (after a key)
 * checksum (4 bytes: the start of the SHA-256 of every byte before it)
 * ```
 *
 * A cursor that does not decode, has another version or fails its checksum (cut short, edited)
 * fails with Convex's `InvalidCursor: Failed to parse cursor`; one whose fingerprint is not the
 * running query's fails with Convex's `InvalidCursor: ... from a different query.` Both are
 * function failures, so the message reaches the client, where `usePaginatedQuery` looks for
 * "InvalidCursor" and starts over.
 *
 * Unlike Convex's, cursors are neither encrypted nor signed: a forged one can only name a
 * position inside the query's own range, since pages clamp the range to it.
 */
import { createHash } from "node:crypto";
import { FunctionFailure } from "../errors.ts";
import { cursorFromOtherQueryText, cursorParseText } from "../convex_messages.ts";
import type { IndexKey } from "../values/index_key.ts";

const VERSION = 0x01;
const FINGERPRINT_BYTES = 12;
const CHECKSUM_BYTES = 4;
const PAST_THE_END = 0x00;
const AFTER_KEY = 0x01;
/** The bytes around a position: version, fingerprint, position tag, checksum. */
const FRAME_BYTES = 1 + FINGERPRINT_BYTES + 1 + CHECKSUM_BYTES;

/** What a query's cursors carry to tell it from every other query. */
export type QueryFingerprint = Buffer;

/** A position in a query's walk: after an index key, or `null`: past the end. */
export type CursorPosition = IndexKey | null;

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

/** The cursor of `position` in the query of `fingerprint`. */
export function encodeCursor(fingerprint: QueryFingerprint, position: CursorPosition): string {
  const key = position === null ? Buffer.alloc(0) : Buffer.from(position, "latin1");
  const body = Buffer.concat([
    Buffer.of(VERSION),
    fingerprint,
    Buffer.of(position === null ? PAST_THE_END : AFTER_KEY),
    key,
  ]);
  return Buffer.concat([body, sha256(body).subarray(0, CHECKSUM_BYTES)]).toString("base64url");
}

/** The bytes of a well-formed cursor, or null. */
function cursorBytes(cursor: string): Buffer | null {
  // base64url without padding: 4k, 4k+2 or 4k+3 characters (Buffer.from ignores what it can't read).
  if (!/^[A-Za-z0-9_-]*$/.test(cursor) || cursor.length % 4 === 1) return null;
  const bytes = Buffer.from(cursor, "base64url");
  if (bytes.length < FRAME_BYTES || bytes[0] !== VERSION) return null;
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  const checksum = bytes.subarray(bytes.length - CHECKSUM_BYTES);
  if (!sha256(body).subarray(0, CHECKSUM_BYTES).equals(checksum)) return null;
  const tag = bytes[1 + FINGERPRINT_BYTES];
  const keyBytes = bytes.length - FRAME_BYTES;
  if (tag === PAST_THE_END ? keyBytes !== 0 : tag !== AFTER_KEY) return null;
  return body;
}

/**
 * The position a cursor names in the query of `fingerprint`.
 * @throws FunctionFailure `InvalidCursor` when the cursor does not parse or is another query's.
 */
export function decodeCursor(fingerprint: QueryFingerprint, cursor: string): CursorPosition {
  const body = cursorBytes(cursor);
  if (body === null) throw new FunctionFailure(cursorParseText(cursor));
  if (!body.subarray(1, 1 + FINGERPRINT_BYTES).equals(fingerprint)) {
    throw new FunctionFailure(cursorFromOtherQueryText());
  }
  if (body[1 + FINGERPRINT_BYTES] === PAST_THE_END) return null;
  return body.subarray(2 + FINGERPRINT_BYTES).toString("latin1");
}
