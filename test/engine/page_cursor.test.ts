/**
 * The cursor codec on its own (engine/runtime/page_cursor.ts): a cursor round-trips within its
 * query and deployment, is the same text for the same position, shows nothing of the index key it
 * holds, and every other query, every other deployment's secret, every cut and every edit is
 * refused with `InvalidCursor`. The secret survives a reopening of the data file.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Persistence } from "../../engine/storage/persistence.ts";
import { tempDir } from "../utils/backend.ts";
import { FunctionFailure } from "../../engine/errors.ts";
import { encodeIndexKey } from "../../engine/values/index_key.ts";
import {
  AT_THE_START,
  CursorKeys,
  decodeCursor as decodeWith,
  encodeCursor as encodeWith,
  queryFingerprint,
  type CursorPosition,
  type QueryFingerprint,
} from "../../engine/runtime/page_cursor.ts";

const keys = new CursorKeys(randomBytes(32));
const encodeCursor = (fingerprint: QueryFingerprint, position: CursorPosition): string =>
  encodeWith(keys, fingerprint, position);
const decodeCursor = (fingerprint: QueryFingerprint, cursor: string): CursorPosition =>
  decodeWith(keys, fingerprint, cursor);

const FIELDS = ["group", "rank", "_creationTime", "_id"];
const byGroup = (group: string, order: "asc" | "desc" | null = "asc") => ({
  source: {
    type: "IndexRange",
    indexName: "items.by_group_rank",
    range: [{ type: "Eq", fieldPath: "group", value: group }],
    order,
  },
  operators: [] as unknown[],
});
const KEY = encodeIndexKey(["p", 3, 1_700_000_000_000.5, "id-with-\u0000-and-\u00ff"]);

function refusal(fingerprint: QueryFingerprint, cursor: string): string {
  try {
    decodeCursor(fingerprint, cursor);
  } catch (error) {
    expect(error).toBeInstanceOf(FunctionFailure);
    return (error as Error).message;
  }
  throw new Error(`cursor ${JSON.stringify(cursor)} was accepted`);
}

describe("a cursor", () => {
  const fingerprint = queryFingerprint(byGroup("p"), FIELDS);

  it("round-trips a key, the empty key, the end and the start, within its query", () => {
    const positions: CursorPosition[] = [KEY, "", null, AT_THE_START];
    for (const position of positions) {
      const cursor = encodeCursor(fingerprint, position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(fingerprint, cursor)).toBe(position);
    }
  });

  it("is another query's when the range, order, filters, index fields or table differ", () => {
    const cursor = encodeCursor(fingerprint, KEY);
    const others = [
      queryFingerprint(byGroup("q"), FIELDS),
      queryFingerprint(byGroup("p", "desc"), FIELDS),
      queryFingerprint({ ...byGroup("p"), operators: [{ filter: { $literal: true } }] }, FIELDS),
      queryFingerprint(byGroup("p"), ["group", "_creationTime", "_id"]),
      queryFingerprint(
        { source: { type: "FullTableScan", tableName: "items", order: "asc" }, operators: [] },
        ["_creationTime", "_id"],
      ),
    ];
    for (const other of others) {
      expect(refusal(other, cursor)).toMatch(/^InvalidCursor: .*from a different query\.$/);
    }
  });

  it("belongs to the same query whether its order is explicit or the default", () => {
    expect(queryFingerprint(byGroup("p", null), FIELDS)).toEqual(fingerprint);
  });

  it("does not parse when cut short at any length, or edited at any character", () => {
    const cursor = encodeCursor(fingerprint, KEY);
    for (let length = 0; length < cursor.length; length++) {
      expect(refusal(fingerprint, cursor.slice(0, length))).toMatch(
        /^InvalidCursor: Failed to parse cursor/,
      );
    }
    for (let at = 0; at < cursor.length; at++) {
      const swapped = cursor[at] === "A" ? "B" : "A";
      const edited = `${cursor.slice(0, at)}${swapped}${cursor.slice(at + 1)}`;
      // The last character may carry only padding bits, which decoding ignores.
      if (Buffer.from(edited, "base64url").equals(Buffer.from(cursor, "base64url"))) continue;
      expect(refusal(fingerprint, edited)).toMatch(/^InvalidCursor: Failed to parse cursor/);
    }
    for (const garbage of ["garbage", "_end", "!!", "AAAA", `${cursor}A`, `${cursor}AA`]) {
      expect(refusal(fingerprint, garbage)).toMatch(/^InvalidCursor: Failed to parse cursor/);
    }
  });

  it("is the same text for the same position, and hides the key it holds", () => {
    const cursor = encodeCursor(fingerprint, KEY);
    expect(encodeCursor(fingerprint, KEY)).toBe(cursor);
    expect(encodeCursor(fingerprint, `${KEY}x`)).not.toBe(cursor);
    const bytes = Buffer.from(cursor, "base64url").toString("latin1");
    expect(bytes).not.toContain("id-with-");
    expect(bytes).not.toContain(KEY.slice(0, 6));
  });

  it("is refused by another deployment (another secret)", () => {
    const cursor = encodeCursor(fingerprint, KEY);
    const other = new CursorKeys(randomBytes(32));
    expect(() => decodeWith(other, fingerprint, cursor)).toThrow(
      /^InvalidCursor: Failed to parse cursor/,
    );
  });
});

it("keeps the deployment's secret in its data file across reopenings", async () => {
  await using dir = tempDir("cursor-secret-");
  const file = path.join(dir.path, "data.sqlite3");
  const first = new Persistence(file);
  const secret = first.secret("cursors");
  expect(secret).toHaveLength(32);
  expect(first.secret("other")).not.toEqual(secret);
  first.close();
  const reopened = new Persistence(file);
  expect(reopened.secret("cursors")).toEqual(secret);
  reopened.close();
});
