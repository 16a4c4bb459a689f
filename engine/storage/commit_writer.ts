/**
 * Writes batches of commits to SQLite on a thread of its own (`commit_writer_worker.js`, one
 * connection to the data file), so the event loop keeps executing functions while a batch
 * reaches the disk. A write resolves once its SQLite transaction committed with the configured
 * durability: only then does the committer acknowledge the commits in it.
 *
 *   running --write()--> (batches, one SQLite transaction each, in the order written)
 *      |  \--the thread fails or exits--> failed: every write in flight and later rejects
 *      \--close()--> closing --thread exits--> closed
 *
 * The thread keeps the process alive only while it opens the file or a write is in flight.
 */
import { Worker } from "node:worker_threads";

/** One document row to write: `json === null` deletes it. */
export interface PersistedWrite {
  readonly id: string;
  readonly table: string;
  readonly json: string | null;
}

/** A commit as SQLite stores it: its timestamp and its rows. */
export interface PersistedCommit {
  readonly ts: bigint;
  readonly writes: readonly PersistedWrite[];
}

/** The statements the writer runs, owned by persistence.ts (which owns the schema). */
export interface CommitWriterSql {
  /** `(id, table_name, json, ts)`: insert or replace a document row. */
  readonly upsert: string;
  /** `(id)`: delete a document row. */
  readonly remove: string;
  /** `(key, value)`: set a global (`max_ts`). */
  readonly setGlobal: string;
}

type WorkerAnswer =
  | { type: "ready" }
  | { type: "written"; id: number; ok: true }
  | { type: "written"; id: number; ok: false; message: string };

interface InFlight {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The batch as the thread takes it: per commit its timestamp (decimal text) and row count, then
 * per row its id, table and JSON (null: delete). A flat array of strings costs the structured
 * clone about half of what objects per commit and row do.
 */
function flatRows(commits: readonly PersistedCommit[]): (string | number | null)[] {
  const rows: (string | number | null)[] = [];
  for (const commit of commits) {
    rows.push(commit.ts.toString(), commit.writes.length);
    for (const write of commit.writes) rows.push(write.id, write.table, write.json);
  }
  return rows;
}

export class CommitWriter {
  private readonly worker: Worker;
  private readonly inFlight = new Map<number, InFlight>();
  private nextId = 0;
  private failure: Error | null = null;
  private readonly exited: Promise<void>;
  /**
   * Resolves once the thread has opened the data file (writes sent before wait in its queue);
   * rejects when it could not.
   */
  readonly ready: Promise<void>;
  private opened: InFlight = { resolve: () => {}, reject: () => {} };

  /** Starts the thread; `synchronous` is SQLite's setting (`FULL` or `NORMAL`). */
  constructor(file: string, synchronous: "FULL" | "NORMAL", sql: CommitWriterSql) {
    this.worker = new Worker(new URL("./commit_writer_worker.js", import.meta.url), {
      workerData: { file, synchronous, sql },
    });
    this.ready = new Promise((resolve, reject) => (this.opened = { resolve, reject }));
    this.ready.catch(() => {}); // also reported to every write; awaiting it is optional
    this.worker.on("message", (answer: WorkerAnswer) => {
      if (answer.type !== "ready") this.settle(answer);
      else {
        // Referenced while opening (someone may await `ready`), then only while writing.
        if (this.inFlight.size === 0) this.worker.unref();
        this.opened.resolve();
      }
    });
    this.worker.on("error", (error) => this.fail(error));
    this.exited = new Promise((resolve) => {
      this.worker.once("exit", () => {
        this.fail(new Error("The commit writer thread exited."));
        resolve();
      });
    });
  }

  /**
   * Writes `commits` (in timestamp order) in one SQLite transaction.
   * @throws (rejects) when SQLite refused the batch (nothing of it is written) or the thread failed.
   */
  write(commits: readonly PersistedCommit[]): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    const message = { type: "write", id, rows: flatRows(commits) };
    return new Promise<void>((resolve, reject) => {
      if (this.inFlight.size === 0) this.worker.ref();
      this.inFlight.set(id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  /** Closes the thread's connection once the writes already sent are done; resolves when it ended. */
  close(): Promise<void> {
    if (this.failure === null) {
      this.worker.postMessage({ type: "close" });
      this.worker.ref();
    }
    return this.exited;
  }

  private settle(answer: Extract<WorkerAnswer, { type: "written" }>): void {
    const waiting = this.inFlight.get(answer.id);
    if (waiting === undefined) return;
    this.inFlight.delete(answer.id);
    if (this.inFlight.size === 0) this.worker.unref();
    if (answer.ok) waiting.resolve();
    else waiting.reject(new Error(answer.message));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.opened.reject(this.failure); // no effect once ready
    for (const waiting of this.inFlight.values()) waiting.reject(this.failure);
    this.inFlight.clear();
  }
}
