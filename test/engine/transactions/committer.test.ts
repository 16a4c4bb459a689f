// Stories for the committer: OCC validation against commits after a snapshot, timestamps, durability.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ConflictError } from "../../../engine/errors.ts";
import { DocumentStore, storedDocument } from "../../../engine/storage/document_store.ts";
import { Persistence } from "../../../engine/storage/persistence.ts";
import { Committer } from "../../../engine/transactions/committer.ts";
import { ReadSet } from "../../../engine/transactions/read_set.ts";
import { encodeIndexKey, prefixSuccessor } from "../../../engine/values/index_key.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function setup(): {
  store: DocumentStore;
  persistence: Persistence;
  committer: Committer;
  file: string;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "committer-"));
  dirs.push(dir);
  const file = path.join(dir, "data.sqlite3");
  const store = new DocumentStore();
  store.setIndexDefinitions(
    new Map([["orders", [{ name: "orders.by_table", fields: ["table"] }]]]),
  );
  const persistence = new Persistence(file, "normal");
  return {
    store,
    persistence,
    committer: new Committer(store, persistence, persistence.maxTimestamp()),
    file,
  };
}

function order(id: string, table: number) {
  return storedDocument(id, "orders", { _id: id, _creationTime: 1, table, dish: "soup" });
}

describe("Committer: validation and batches", () => {
  it("rejects a transaction whose read range was written after its snapshot, and accepts a disjoint one", async () => {
    const { committer, persistence } = setup();
    // Two transactions open at the same snapshot.
    const snapshot = committer.openSnapshot();
    const readsTable2 = new ReadSet();
    const table2 = encodeIndexKey([2]);
    readsTable2.addInterval("orders.by_table", { start: table2, end: prefixSuccessor(table2) });
    const readsTable3 = new ReadSet();
    const table3 = encodeIndexKey([3]);
    readsTable3.addInterval("orders.by_table", { start: table3, end: prefixSuccessor(table3) });

    // A third transaction commits an order for table 2.
    const first = await committer.commit(snapshot, new ReadSet(), [
      { id: "a", table: "orders", before: null, after: order("a", 2) },
    ]);
    expect(first).toBeGreaterThan(snapshot);

    // The one that read table 2 conflicts; the one that read table 3 commits.
    await expect(
      committer.commit(snapshot, readsTable2, [
        { id: "b", table: "orders", before: null, after: order("b", 2) },
      ]),
    ).rejects.toBeInstanceOf(ConflictError);
    const third = await committer.commit(snapshot, readsTable3, [
      { id: "c", table: "orders", before: null, after: order("c", 3) },
    ]);
    expect(third).toBeGreaterThan(first);
    expect(committer.stats.conflicts).toBe(1);
    committer.closeSnapshot(snapshot);
    persistence.close();
  });

  it("batches commits of one event-loop turn into one SQLite transaction, durably", async () => {
    const { committer, persistence, file } = setup();
    const snapshot = committer.openSnapshot();
    const timestamps = await Promise.all(
      ["x", "y", "z"].map((id) =>
        committer.commit(snapshot, new ReadSet(), [
          { id, table: "orders", before: null, after: order(id, 5) },
        ]),
      ),
    );
    committer.closeSnapshot(snapshot);
    // Strictly increasing, one batch.
    expect(timestamps[0]).toBeLessThan(timestamps[1] ?? 0n);
    expect(timestamps[1]).toBeLessThan(timestamps[2] ?? 0n);
    expect(committer.stats.batches).toBe(1);
    persistence.close();
    // A new process would recover all three and the last timestamp.
    const reopened = new Persistence(file, "normal");
    expect([...reopened.documents()].map((row) => row.id).sort()).toEqual(["x", "y", "z"]);
    expect(reopened.maxTimestamp()).toBe(timestamps[2]);
    reopened.close();
  });
});

describe("Committer: batches at the writer thread", () => {
  it("keeps two batches at the writer at most: later commits wait, then land together, in order", async () => {
    const { committer, persistence, store, file } = setup();
    const published: bigint[] = [];
    committer.onPublish((commit) => published.push(commit.ts));
    // Another connection holds SQLite's write lock: the writer thread waits on the first batch.
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    const snapshot = committer.openSnapshot();
    const write = (id: string) =>
      committer.commit(snapshot, new ReadSet(), [
        { id, table: "orders", before: null, after: order(id, 7) },
      ]);
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    // Each turn's commits form a batch: two go to the writer, the next two turns' wait.
    const commits = [write("p")];
    for (const id of ["q", "r", "s"]) {
      await nextTurn();
      commits.push(write(id));
    }
    await nextTurn();
    expect(published).toEqual([]);
    other.exec("COMMIT");
    other.close();
    const timestamps = await Promise.all(commits);
    committer.closeSnapshot(snapshot);
    expect(committer.stats.batches).toBe(3); // [p], [q], then [r, s] together
    // Published (and visible) in timestamp order, each only once durable.
    expect(published).toEqual(timestamps);
    expect([...timestamps].sort((a, b) => (a < b ? -1 : 1))).toEqual(timestamps);
    expect(store.get("s", committer.publishedTs)?.id).toBe("s");
    persistence.close();
    await persistence.closed();
  });

  it("lands a batch queued behind one SQLite refuses, and writes only that one", async () => {
    const { committer, persistence, file } = setup();
    const other = new Database(file);
    other.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON documents WHEN NEW.id = 'bad' " +
        "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;",
    );
    other.exec("BEGIN IMMEDIATE"); // both batches reach the writer before either is written
    const snapshot = committer.openSnapshot();
    const write = (id: string) =>
      committer.commit(snapshot, new ReadSet(), [
        { id, table: "orders", before: null, after: order(id, 8) },
      ]);
    const refused = write("bad");
    await new Promise((resolve) => setImmediate(resolve));
    const queued = write("good");
    await new Promise((resolve) => setImmediate(resolve));
    other.exec("COMMIT");
    other.close();
    await expect(refused).rejects.toThrow(/refused by a trigger/);
    await queued;
    committer.closeSnapshot(snapshot);
    expect(committer.stats).toMatchObject({ commits: 1, batches: 1 });
    persistence.close();
    await persistence.closed();
    const reopened = new Persistence(file, "normal");
    expect([...reopened.documents()].map((row) => row.id)).toEqual(["good"]);
    reopened.close();
  });
});

describe("Committer: failures and conflicts", () => {
  it("rejects every commit of a batch SQLite refuses, writes none of it, and keeps committing", async () => {
    const { committer, persistence, file } = setup();
    // Another connection makes SQLite refuse one row (a real failure inside the transaction).
    const other = new Database(file);
    other.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON documents WHEN NEW.id = 'bad' " +
        "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;",
    );
    other.close();
    const snapshot = committer.openSnapshot();
    const write = (id: string) =>
      committer.commit(snapshot, new ReadSet(), [
        { id, table: "orders", before: null, after: order(id, 8) },
      ]);
    const batch = [write("good"), write("bad")];
    await expect(batch[0]).rejects.toThrow(/refused by a trigger/);
    await expect(batch[1]).rejects.toThrow(/refused by a trigger/);
    // Nothing of the refused batch was published; the next commit lands.
    expect(committer.stats.commits).toBe(0);
    await write("after");
    committer.closeSnapshot(snapshot);
    persistence.close();
    await persistence.closed();
    const reopened = new Persistence(file, "normal");
    expect([...reopened.documents()].map((row) => row.id)).toEqual(["after"]);
    reopened.close();
  });

  it("reports a conflict only once the commit it lost to is published, so a retry sees it", async () => {
    const { committer, persistence } = setup();
    const snapshot = committer.openSnapshot();
    // The winner writes an order for table 4 and is on its way to the disk...
    const winner = committer.commit(snapshot, new ReadSet(), [
      { id: "w", table: "orders", before: null, after: order("w", 4) },
    ]);
    // ...when a transaction that read table 4 at the same snapshot tries to commit.
    const reads = new ReadSet();
    const table4 = encodeIndexKey([4]);
    reads.addInterval("orders.by_table", { start: table4, end: prefixSuccessor(table4) });
    const loser = committer.commit(snapshot, reads, [
      { id: "l", table: "orders", before: null, after: order("l", 4) },
    ]);
    const seenAtRejection = loser.then(
      () => null,
      (error: unknown) => ({ error, published: committer.publishedTs }),
    );
    const winnerTs = await winner;
    const rejection = await seenAtRejection;
    expect(rejection?.error).toBeInstanceOf(ConflictError);
    // When the loser heard of it, the winner was already visible to new snapshots.
    expect(rejection?.published).toBeGreaterThanOrEqual(winnerTs);
    committer.closeSnapshot(snapshot);
    persistence.close();
    await persistence.closed();
  });
});
