/**
 * The edges of `ctx.storage.store` / `get` in mutations (engine/files/file_storage.ts), found in
 * review: concurrent stores share the transaction's file limits; a store the mutation did not
 * await leaves no file behind; and a mutation whose snapshot predates a file's deletion still
 * reads its bytes (they stay on disk until no snapshot can see the file).
 */
import fs from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REPO_ROOT, tempDir, type TestBackend } from "../utils/backend.ts";
import { httpClient, serve } from "../sync/support/clients.ts";
import { eventually } from "../utils/waits.ts";
import { Transaction } from "../../engine/transactions/transaction.ts";

const STORAGE_APP = path.join(REPO_ROOT, "test", "fixtures", "storage_app");

const EDGES_MODULE = `
import { v } from "convex/values";
import { action, mutation } from "./_generated/server.js";

// A store the mutation does not wait for (a common mistake: a forgotten await).
export const storeNotAwaited = mutation({
  args: {},
  handler: async (ctx) => {
    void ctx.storage.store(new Blob(["never awaited"])).catch(() => {});
    return null;
  },
});

export const storeInAction = action({
  args: { text: v.string() },
  handler: async (ctx, { text }) => ctx.storage.store(new Blob([text])),
});
`;

const fns = {
  storeNotAwaited: makeFunctionReference<"mutation", Record<string, never>, null>(
    "edges:storeNotAwaited",
  ),
  storeInAction: makeFunctionReference<"action", { text: string }, string>("edges:storeInAction"),
};

let folder: { path: string } & AsyncDisposable;
let backend: TestBackend;

beforeAll(async () => {
  folder = tempDir("convex-graphql-mutation-storage-");
  fs.cpSync(path.join(STORAGE_APP, "convex"), path.join(folder.path, "convex"), {
    recursive: true,
  });
  fs.writeFileSync(path.join(folder.path, "convex", "edges.ts"), EDGES_MODULE);
  backend = await serve({ dir: folder.path });
}, 60_000);

afterAll(async () => {
  await backend?.[Symbol.asyncDispose]();
  await folder?.[Symbol.asyncDispose]();
});

function storageDir(): string {
  return path.join(path.dirname(backend.dataFile), "storage");
}

const MiB = 1024 * 1024;

type Internals = {
  store: never;
  committer: never;
  tables: never;
  files: {
    storeIn(tx: Transaction, bytes: Uint8Array, file: { contentType: null }): Promise<string>;
    get(id: unknown, tx: Transaction | null): Promise<unknown>;
    delete(tx: Transaction | null, id: unknown): Promise<void>;
  };
};

/** A mutation's transaction, as execution_attempt.ts opens it. */
function mutationTx(): Transaction {
  const engine = backend.engine as unknown as Internals;
  return new Transaction({
    store: engine.store,
    committer: engine.committer,
    tables: engine.tables,
    checkWrite: () => null,
    readOnly: false,
    nowMs: Date.now(),
  });
}

it("enforces the 16 MiB per-transaction file write limit when stores run concurrently", async () => {
  const files = (backend.engine as unknown as Internals).files;
  const bytes = new Uint8Array(6 * MiB);
  // Control: one after the other, the third store is refused.
  const sequential = mutationTx();
  await files.storeIn(sequential, bytes, { contentType: null });
  await files.storeIn(sequential, bytes, { contentType: null });
  await expect(files.storeIn(sequential, bytes, { contentType: null })).rejects.toThrow(
    /Too many files written/,
  );
  sequential.abort();
  // What `await Promise.all([ctx.storage.store(a), ...])` does: each storeIn checks tx.files
  // before its await and counts after it, so all three pass: 18 MiB in one transaction.
  const concurrent = mutationTx();
  const results = await Promise.allSettled(
    [1, 2, 3].map(() => files.storeIn(concurrent, bytes, { contentType: null })),
  );
  concurrent.abort();
  expect(concurrent.files.writeBytes).toBeLessThanOrEqual(16 * MiB);
  expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
});

it("leaves no file on disk from a store the mutation did not await", async () => {
  const before = new Set(fs.readdirSync(storageDir()));
  await httpClient(backend.url).mutation(fns.storeNotAwaited, {});
  await new Promise((resolve) => setTimeout(resolve, 500));
  const added = fs.readdirSync(storageDir()).filter((name) => !before.has(name));
  expect(added).toEqual([]);
});

it("lets a mutation whose snapshot still sees a file deleted since read its bytes", async () => {
  const engine = backend.engine as unknown as Internals;
  const id = await httpClient(backend.url).action(fns.storeInAction, { text: "soon deleted" });
  // A mutation's transaction opened before the delete (its snapshot still holds the file).
  const tx = mutationTx();
  await engine.files.delete(null, id);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the blob's removal after publish
  try {
    const file = (await engine.files.get(id, tx)) as { bytes: Buffer } | null;
    expect(file?.bytes.toString()).toBe("soon deleted");
  } finally {
    tx.abort();
  }
  // Once no snapshot sees it, the bytes leave the disk.
  await eventually(() => !fs.readdirSync(storageDir()).includes(id), "the file to leave the disk");
});
