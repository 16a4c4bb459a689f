// The thread that writes commit batches to SQLite (engine/storage/commit_writer.ts starts it),
// so that the disk work of group commit runs beside the event loop that executes functions
// instead of on it. Plain JavaScript: it needs no TypeScript loader, so it starts in
// milliseconds. The SQL comes from persistence.ts (workerData), which owns the schema.
//
// Messages: { type: "write", id, commits } -> { id, ok: true } | { id, ok: false, message };
//           { type: "close" } -> the connection closes and the thread ends.
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";

const { file, synchronous, sql } = workerData;
const db = new Database(file);
db.pragma(`synchronous = ${synchronous}`);
// The main connection (table numbers, environment variables) may hold the lock for a moment.
db.pragma("busy_timeout = 5000");
const upsert = db.prepare(sql.upsert);
const remove = db.prepare(sql.remove);
const setGlobal = db.prepare(sql.setGlobal);

// commits: [{ ts: decimal text, writes: [{ id, table, json | null }] }], in timestamp order.
const writeBatch = db.transaction((commits) => {
  for (const commit of commits) {
    for (const write of commit.writes) {
      if (write.json === null) remove.run(write.id);
      else upsert.run(write.id, write.table, write.json, commit.ts);
    }
  }
  setGlobal.run("max_ts", commits[commits.length - 1].ts);
});

parentPort.on("message", (message) => {
  if (message.type === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    writeBatch(message.commits);
    parentPort.postMessage({ id: message.id, ok: true });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    parentPort.postMessage({ id: message.id, ok: false, message: text });
  }
});
