/**
 * The life of `npx convex import`'s uploads and imports in memory, as a story on a fake clock:
 * each part restarts an upload's expiry, an unconfirmed import fails when it expires, finished
 * records are forgotten one expiry later, the byte budget follows all of it, and close stops every
 * timer. (test/cli/import_expiry.test.ts tells the same over HTTP against a real backend.)
 */
import { afterEach, expect, it, vi } from "vitest";
import { RequestError } from "../../engine/errors.ts";
import { SnapshotImports, type ImportTarget } from "../../engine/system/snapshot_imports.ts";

const MINUTE = 60_000;
const ROW = Buffer.from('{"dish":"ramen"}\n');
const JSON_LINES = { tableName: "orders", mode: "append", format: "jsonLines" } as const;

/** An empty table that takes every write (the engine's real one is tested over HTTP). */
const target: ImportTarget = { countDocuments: () => 0, write: () => Promise.resolve() };

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof RequestError ? error.code : `not a RequestError: ${String(error)}`;
  }
  return undefined;
}

afterEach(() => {
  vi.useRealTimers();
});

it("expires an upload an hour after its last part, not after its start", () => {
  vi.useFakeTimers();
  const imports = new SnapshotImports(target, { maxHeldBytes: 100 });
  const token = imports.startUpload();
  imports.addPart(token, ROW);
  vi.advanceTimersByTime(59 * MINUTE);
  imports.addPart(token, ROW); // restarts the hour
  vi.advanceTimersByTime(59 * MINUTE);
  expect(imports.heldBytes).toBe(2 * ROW.length);

  vi.advanceTimersByTime(MINUTE); // an hour after the second part: dropped, bytes freed
  expect(imports.heldBytes).toBe(0);
  expect(codeOf(() => imports.addPart(token, ROW))).toBe("UploadExpired");
  expect(codeOf(() => imports.finishUpload(token, JSON_LINES))).toBe("UploadExpired");
  expect(codeOf(() => imports.addPart("never-started", ROW))).toBe("NotFound");
  imports.close();
});

it("holds an unconfirmed import's bytes until it expires, then forgets it", async () => {
  vi.useFakeTimers();
  const imports = new SnapshotImports(target, { expireAfterMs: 10 * MINUTE });
  const token = imports.startUpload();
  imports.addPart(token, ROW);
  const importId = imports.finishUpload(token, JSON_LINES);
  expect(imports.stateOf(importId)?.state.state).toBe("waiting_for_confirmation");
  expect(imports.heldBytes).toBe(ROW.length); // the upload's bytes passed to the import

  vi.advanceTimersByTime(10 * MINUTE);
  expect(imports.stateOf(importId)?.state).toEqual({
    state: "failed",
    error_message:
      "This import expired: it waited for confirmation longer than 10 minutes, so its rows were dropped. Run `npx convex import` again.",
  });
  expect(imports.heldBytes).toBe(0);
  await expect(imports.perform(importId)).rejects.toMatchObject({ code: "ImportExpired" });

  vi.advanceTimersByTime(10 * MINUTE); // a finished record is forgotten one expiry later
  expect(imports.stateOf(importId)).toBeNull();
  await expect(imports.perform(importId)).rejects.toMatchObject({ code: "NotFound" });
  imports.close();
});

it("frees a performed import's bytes and forgets its record later", async () => {
  vi.useFakeTimers();
  const imports = new SnapshotImports(target, { expireAfterMs: MINUTE });
  const token = imports.startUpload();
  imports.addPart(token, ROW);
  const importId = imports.finishUpload(token, JSON_LINES);
  await imports.perform(importId);
  expect(imports.stateOf(importId)?.state).toEqual({ state: "completed", num_rows_written: 1n });
  expect(imports.heldBytes).toBe(0);
  vi.advanceTimersByTime(MINUTE);
  expect(imports.list()).toEqual([]);
  imports.close();
});

it("stops every timer at close", () => {
  vi.useFakeTimers();
  const imports = new SnapshotImports(target);
  imports.addPart(imports.startUpload(), ROW);
  const waiting = imports.startUpload();
  imports.finishUpload(waiting, JSON_LINES);
  expect(vi.getTimerCount()).toBe(2); // one unfinished upload, one import waiting
  imports.close();
  expect(vi.getTimerCount()).toBe(0);
});

it("has no timer that keeps the process alive", () => {
  // Node lists a ref'd timer as an active "Timeout" resource; an unref'd one is not listed.
  const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timeouts();
  const imports = new SnapshotImports(target);
  imports.addPart(imports.startUpload(), ROW);
  imports.finishUpload(imports.startUpload(), JSON_LINES);
  expect(timeouts()).toBe(before);
  imports.close();
});
