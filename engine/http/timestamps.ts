/** Timestamps on the wire: base64 of the u64 in little-endian bytes (Convex's encoding). */
import type { Timestamp } from "../storage/types.ts";

export function encodeTs(ts: Timestamp): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

/** @throws Error when `text` is not base64 of exactly 8 bytes. */
export function decodeTs(text: unknown): Timestamp {
  if (typeof text !== "string")
    throw new Error(`Expected a base64 timestamp string, got ${JSON.stringify(text)}.`);
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== 8)
    throw new Error(`Invalid timestamp "${text}": expected base64 of 8 bytes.`);
  return bytes.readBigUInt64LE(0);
}
