// The thread that writes commit batches to SQLite (engine/storage/commit_writer.ts starts it),
// so that the disk work of group commit runs beside the event loop that executes functions
// instead of on it. Plain JavaScript: it needs no TypeScript loader, so it starts in
// milliseconds. The SQL comes from persistence.ts (workerData), which owns the schema.
//
// Messages: once the file is open -> { type: "ready" };
//           { type: "write", id, rows } -> { type: "written", id, ok: true } | { ..., ok: false, message };
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

// rows: per commit [ts (decimal text), row count], then per row [id, table, json | null]; in
// timestamp order (see flatRows in commit_writer.ts).
const writeBatch = db.transaction((rows) => {
  let ts = "";
  for (let i = 0; i < rows.length;) {
    ts = rows[i];
    const end = i + 2 + 3 * rows[i + 1];
    for (i += 2; i < end; i += 3) {
      if (rows[i + 2] === null) remove.run(rows[i]);
      else upsert.run(rows[i], rows[i + 1], rows[i + 2], ts);
    }
  }
  setGlobal.run("max_ts", ts);
});

parentPort.on("message", (message) => {
  if (message.type === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    writeBatch(message.rows);
    parentPort.postMessage({ type: "written", id: message.id, ok: true });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    parentPort.postMessage({ type: "written", id: message.id, ok: false, message: text });
  }
});

parentPort.postMessage({ type: "ready" });
