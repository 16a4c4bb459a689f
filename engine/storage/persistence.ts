/**
 * Durable storage in SQLite (better-sqlite3, WAL): the latest revision of every document, the
 * table numbers (they are part of document ids), the last commit timestamp and the deployment's
 * environment variables (which `convex-graphql env` may change from another process).
 *
 * A batch of commits is written in one SQLite transaction (group commit) by the commit writer's
 * thread (commit_writer.ts, its own connection): when `persist` resolves, every commit in it is
 * on disk with the configured durability and can be acknowledged. This connection reads at
 * start-up and writes the rare rest (table numbers, environment variables).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Timestamp } from "./types.ts";
import { CommitWriter, type CommitWriterSql, type PersistedCommit } from "./commit_writer.ts";

export type { PersistedCommit, PersistedWrite } from "./commit_writer.ts";

/**
 * How hard SQLite pushes each commit to disk.
 * - `full`: fsync on every commit (survives power loss and `kill -9`). The default.
 * - `normal`: WAL without fsync per commit (survives `kill -9`, may lose the last commits on power loss).
 */
export type Durability = "full" | "normal";

/** What the commit writer runs (the `documents` and `globals` tables are created below). */
const COMMIT_SQL: CommitWriterSql = {
  upsert:
    "INSERT INTO documents (id, table_name, json, ts) VALUES (?, ?, ?, ?) " +
    "ON CONFLICT(id) DO UPDATE SET json = excluded.json, ts = excluded.ts",
  remove: "DELETE FROM documents WHERE id = ?",
  setGlobal:
    "INSERT INTO globals (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
};

export interface LoadedDocument {
  readonly id: string;
  readonly table: string;
  readonly json: string;
  /** The commit timestamp of this revision (decimal text). */
  readonly ts: string;
}

export class Persistence {
  private readonly db: Database.Database;
  private readonly synchronous: "FULL" | "NORMAL";
  /** Started by the first `persist` (a process that only reads or edits variables needs none). */
  private writer: CommitWriter | null = null;
  private writerClosed: Promise<void> = Promise.resolve();

  /**
   * Opens (creating if needed) the database file.
   * @throws when the file cannot be opened or is not a convex-graphql database.
   */
  constructor(
    readonly file: string,
    durability: Durability = "full",
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.synchronous = durability === "full" ? "FULL" : "NORMAL";
    this.db.pragma(`synchronous = ${this.synchronous}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS documents (
        id TEXT PRIMARY KEY,
        table_name TEXT NOT NULL,
        json TEXT NOT NULL,
        ts TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS tables (
        name TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE
      );
      CREATE TABLE IF NOT EXISTS globals (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS environment_variables (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `);
    // Another process (`convex-graphql env`) may write while a backend runs: wait for its lock.
    this.db.pragma("busy_timeout = 5000");
  }

  /**
   * The deployment's secret `name`: 32 random bytes made on first use and kept in the data file
   * (`globals`), so what they sealed (pagination cursors) stays valid across restarts.
   */
  secret(name: string): Buffer {
    const key = `secret:${name}`;
    const read = (): string | undefined =>
      (
        this.db.prepare("SELECT value FROM globals WHERE key = ?").get(key) as
          { value: string } | undefined
      )?.value;
    const existing = read();
    if (existing !== undefined) return Buffer.from(existing, "hex");
    this.db
      .prepare("INSERT OR IGNORE INTO globals (key, value) VALUES (?, ?)")
      .run(key, randomBytes(32).toString("hex"));
    return Buffer.from(read() ?? "", "hex");
  }

  /**
   * Writes commits (in timestamp order) atomically, in one SQLite transaction, on the commit
   * writer's thread; resolves once they are durable.
   * @throws (rejects) when the batch could not be written: none of it is.
   */
  persist(commits: readonly PersistedCommit[]): Promise<void> {
    if (!this.db.open) return Promise.reject(new Error(`The data file ${this.file} is closed.`));
    return this.commitWriter().write(commits);
  }

  /**
   * Starts the commit writer's thread now rather than at the first commit (which would wait for
   * it); resolves once it has opened the file. @throws (rejects) when it cannot.
   */
  startWriter(): Promise<void> {
    return this.commitWriter().ready;
  }

  private commitWriter(): CommitWriter {
    this.writer ??= new CommitWriter(this.file, this.synchronous, COMMIT_SQL);
    return this.writer;
  }

  /** The timestamp of the last persisted commit (0 for a new database). */
  maxTimestamp(): Timestamp {
    const row = this.db.prepare("SELECT value FROM globals WHERE key = 'max_ts'").get() as
      { value: string } | undefined;
    return row === undefined ? 0n : BigInt(row.value);
  }

  /** How many documents are stored (for recovery progress). */
  documentCount(): number {
    const row = this.db.prepare("SELECT count(*) AS n FROM documents").get() as { n: number };
    return row.n;
  }

  /** Every stored document. */
  *documents(): IterableIterator<LoadedDocument> {
    const rows = this.db
      .prepare('SELECT id, table_name AS "table", json, ts FROM documents')
      .iterate() as IterableIterator<LoadedDocument>;
    yield* rows;
  }

  /** The table-name to table-number map. */
  tableNumbers(): Map<string, number> {
    const rows = this.db.prepare("SELECT name, number FROM tables").all() as {
      name: string;
      number: number;
    }[];
    return new Map(rows.map((row) => [row.name, row.number]));
  }

  /** Records a newly allocated table number (durably, before any document of it is written). */
  addTable(name: string, number: number): void {
    this.db.prepare("INSERT OR IGNORE INTO tables (name, number) VALUES (?, ?)").run(name, number);
  }

  /** The deployment's environment variables, by name. */
  environmentVariables(): Map<string, string> {
    const rows = this.db.prepare("SELECT name, value FROM environment_variables").all() as {
      name: string;
      value: string;
    }[];
    return new Map(rows.map((row) => [row.name, row.value]));
  }

  /**
   * Changes the environment variables atomically (read, `change`, write in one immediate
   * transaction, so two writers never lose each other's changes); returns the new set.
   * @throws whatever `change` throws (nothing is written then).
   */
  changeEnvironmentVariables(
    change: (current: Map<string, string>) => ReadonlyMap<string, string>,
  ): Map<string, string> {
    const insert = this.db.prepare("INSERT INTO environment_variables (name, value) VALUES (?, ?)");
    return this.db
      .transaction(() => {
        const next = new Map(change(this.environmentVariables()));
        this.db.prepare("DELETE FROM environment_variables").run();
        for (const [name, value] of next) insert.run(name, value);
        return next;
      })
      .immediate();
  }

  /**
   * SQLite's `data_version`: it changes when another connection (another process) commits to
   * the file, never for this connection's own commits.
   */
  dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  /** Closes the data file (the commit writer's connection once its writes are done). */
  close(): void {
    if (this.db.open) this.db.close();
    if (this.writer !== null) {
      this.writerClosed = this.writer.close();
      this.writer = null;
    }
  }

  /** Resolves once the commit writer's thread, if any, ended after `close`. */
  closed(): Promise<void> {
    return this.writerClosed;
  }
}
