/**
 * The baseline of the commit benchmark: how many one-row transactions plain better-sqlite3
 * commits per second on this machine, with the engine's storage settings (WAL, the same
 * `synchronous`) and a table shaped like the engine's `documents` table (text primary key of
 * Convex-id length, random order; a JSON text column). Nothing else happens per row: no
 * functions, no HTTP, no indexes in memory. This is the ceiling the engine is compared with.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import type { Durability } from "../../engine/index.ts";
import { generateDocumentId } from "../../engine/values/document_id.ts";

export interface RawInsertOptions {
  /** A file that does not exist yet. */
  readonly file: string;
  readonly durability: Durability;
  /** Inserts before the measurement starts (same loop, not counted). */
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface RawInsertResult {
  /** Transactions (= rows) committed in the measured window. */
  readonly transactions: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
}

/** One transaction per row, back to back, on one connection, for warm-up + duration. */
export function measureRawInserts(options: RawInsertOptions): RawInsertResult {
  const db = new Database(options.file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.durability === "full" ? "FULL" : "NORMAL"}`);
    db.exec(`
      CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        table_name TEXT NOT NULL,
        json TEXT NOT NULL,
        ts TEXT NOT NULL
      );
    `);
    const insert = db.prepare<[string, string, string, string]>(
      "INSERT INTO documents (id, table_name, json, ts) VALUES (?, ?, ?, ?)",
    );
    // One row per transaction, written the way the engine writes a batch (db.transaction).
    const insertOne = db.transaction((id: string, json: string, ts: string) => {
      insert.run(id, "orders", json, ts);
    });

    let row = 0;
    const insertRow = (): void => {
      row++;
      const id = generateDocumentId(10_001, randomBytes(16));
      const now = Date.now();
      // The shape of a stored `orders:placeOrder` document.
      const json = JSON.stringify({
        _id: id,
        _creationTime: now,
        dish: "soup",
        table: row % 20,
        status: "placed",
        createdAt: now,
      });
      insertOne(id, json, String(row));
    };

    const warmupEnd = performance.now() + options.warmupMs;
    while (performance.now() < warmupEnd) insertRow();
    const start = performance.now();
    const end = start + options.durationMs;
    let transactions = 0;
    let now = start;
    while (now < end) {
      insertRow();
      transactions++;
      now = performance.now();
    }
    const elapsedMs = now - start;
    return { transactions, elapsedMs, perSecond: (transactions * 1000) / elapsedMs };
  } finally {
    db.close();
  }
}
