/**
 * Convex file storage: files on disk (blob_store.ts), each described by a document of the
 * `_storage` system table (`sha256` base64, `size`, `contentType?`; its id is the storage id),
 * and single-use upload URLs, each a document of `_upload_tokens` (its id is the URL's token).
 *
 * Everything that changes what exists commits through the committer, so it is transactional:
 * - `generateUploadUrl` writes the token in the caller's transaction (a mutation that fails
 *   issues no URL); from an action it commits a transaction of its own.
 * - An upload streams to a temp file, then one transaction deletes the token (it reads it: a
 *   second upload with the same token conflicts or finds it gone) and inserts the `_storage`
 *   document; the file is renamed into place before that commit and removed if it fails.
 * - A delete removes the `_storage` document; the file goes once the delete is published.
 * A deleted file stops serving at once: downloads look the document up at the latest commit.
 */
import fs from "node:fs";
import { ConflictError, FunctionFailure, RequestError } from "../errors.ts";
import type { DocumentStore } from "../storage/document_store.ts";
import type { TableRegistry } from "../storage/table_registry.ts";
import type { DocumentValue, StoredDocument } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import { Transaction } from "../transactions/transaction.ts";
import { decodeDocumentId } from "../values/document_id.ts";
import { BlobStore, type TempBlob } from "./blob_store.ts";

/** The system table describing stored files. */
export const STORAGE_TABLE = "_storage";
/** The system table of upload URLs not used yet. */
export const UPLOAD_TOKENS_TABLE = "_upload_tokens";
/** How long an upload URL stays valid: 1 hour, as in Convex. */
export const UPLOAD_URL_TTL_MS = 3_600_000;
/**
 * The largest file accepted by an upload URL or `ctx.storage.store`: 1 GiB. Convex sets no size
 * on upload URLs (only a 2 minute upload time); this backend keeps a limit so one request cannot
 * fill the disk, large enough for the photos and documents apps upload.
 */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

export interface FileStorageOptions {
  /** @default DEFAULT_MAX_FILE_BYTES (1 GiB) // bytes */
  readonly maxFileBytes?: number;
  /** @default UPLOAD_URL_TTL_MS (1 hour) // ms */
  readonly uploadUrlTtlMs?: number;
  /** The clock upload URLs expire by. @default Date.now // ms since the epoch */
  readonly now?: () => number;
}

export interface FileStorageDeps extends FileStorageOptions {
  readonly store: DocumentStore;
  readonly committer: Committer;
  readonly tables: TableRegistry;
  /** The folder holding the files. */
  readonly dir: string;
}

/** What `getMetadata` answers (Convex's `FileMetadata`: the checksum in hex). */
export interface FileMetadata {
  readonly storageId: string;
  readonly sha256: string;
  readonly size: number;
  readonly contentType: string | null;
}

/** A stored file, ready to be served. */
export interface StoredFile {
  readonly path: string;
  readonly size: number;
  /** SHA-256, base64. */
  readonly sha256: string;
  readonly contentType: string | null;
}

/** What may come with new contents. */
export interface NewFile {
  readonly contentType: string | null;
  /** A checksum the contents must match (hex or base64), from `Digest` or `store`'s option. */
  readonly expectedSha256?: string | null;
}

/** Why a `store` that outlived its mutation (a promise left without await) fails. */
const ENDED_TEXT = (method: string): string =>
  `storage.${method}() finished after its mutation had ended (a promise left without await?): nothing was stored.`;

/** Convex's limits on the files one transaction stores or reads (each way). */
export const TRANSACTION_FILE_LIMITS = { files: 1_000, bytes: 16 * 1024 * 1024 };

/** @throws FunctionFailure when `files` or `bytes` pass the transaction's limits. */
function checkFileLimit(files: number, bytes: number, how: "written" | "read"): void {
  const { files: maxFiles, bytes: maxBytes } = TRANSACTION_FILE_LIMITS;
  if (files > maxFiles || bytes > maxBytes) {
    throw new FunctionFailure(
      `Too many files ${how} in a single function execution (limit: ${maxFiles} files, ${maxBytes / (1024 * 1024)} MiB). Store or read large files in an action instead.`,
    );
  }
}

export class FileStorage {
  readonly blobs: BlobStore;
  readonly maxFileBytes: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** The deployment URL upload and download URLs start with (set once the server listens). */
  origin = "http://127.0.0.1:3210";

  constructor(private readonly deps: FileStorageDeps) {
    this.blobs = new BlobStore(deps.dir);
    this.maxFileBytes = deps.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.ttlMs = deps.uploadUrlTtlMs ?? UPLOAD_URL_TTL_MS;
    this.now = deps.now ?? Date.now;
    deps.committer.onPublish((commit) => {
      for (const write of commit.writes) {
        if (write.table === STORAGE_TABLE && write.after === null) {
          // Not while a mutation whose snapshot predates the delete may still `get` the file.
          deps.committer.whenUnseenBefore(commit.ts, () => {
            this.blobs.remove(write.id).catch(() => {}); // a leftover is swept at the next start
          });
        }
      }
    });
  }

  /**
   * Cleans up after a crash: removes files no `_storage` document names, and upload tokens that
   * expired. Call once, after recovery.
   */
  async recover(): Promise<void> {
    const live = new Set<string>();
    for (const document of this.deps.store.latestDocuments()) {
      if (document.table === STORAGE_TABLE) live.add(document.id);
    }
    this.blobs.sweep((name) => live.has(name));
    const now = this.now();
    const expired = [...this.deps.store.latestDocuments()].filter(
      (document) =>
        document.table === UPLOAD_TOKENS_TABLE && (document.value["expiresAt"] as number) <= now,
    );
    if (expired.length === 0) return;
    const tx = this.transaction(false);
    for (const document of expired) tx.delete(document.id, document.table, document);
    await tx.commit();
  }

  /** A new transaction of the file storage's own (for actions and uploads). */
  private transaction(readOnly: boolean): Transaction {
    return new Transaction({
      store: this.deps.store,
      committer: this.deps.committer,
      tables: this.deps.tables,
      checkWrite: () => null,
      readOnly,
      nowMs: Date.now(),
    });
  }

  /** Runs `fn` in a read-only transaction at the latest commit. */
  private read<T>(fn: (tx: Transaction) => T): T {
    const tx = this.transaction(true);
    try {
      return fn(tx);
    } finally {
      tx.finishRead();
    }
  }

  /**
   * `ctx.storage.generateUploadUrl()`: records a token in `tx` (or, from an action, in a
   * transaction of its own) and returns `<origin>/api/storage/upload?token=<token>`.
   */
  async generateUploadUrl(tx: Transaction | null): Promise<string> {
    const fields = { expiresAt: this.now() + this.ttlMs };
    let token: string;
    if (tx !== null) {
      token = tx.insert(UPLOAD_TOKENS_TABLE, fields);
    } else {
      const own = this.transaction(false);
      token = own.insert(UPLOAD_TOKENS_TABLE, fields);
      await own.commit();
    }
    return `${this.origin}/api/storage/upload?token=${encodeURIComponent(token)}`;
  }

  /** The `_storage` document `storageId` names, read in `tx` (or at the latest commit). */
  private storageDocument(
    tx: Transaction | null,
    storageId: unknown,
    op: string,
  ): StoredDocument | null {
    if (typeof storageId !== "string" || this.tableOf(storageId) !== STORAGE_TABLE) {
      throw new FunctionFailure(
        `Invalid argument \`storageId\` for \`storage.${op}\`: ${JSON.stringify(storageId)} is not an Id<"_storage">.`,
      );
    }
    return tx !== null
      ? tx.get(storageId, STORAGE_TABLE)
      : this.read((own) => own.get(storageId, STORAGE_TABLE));
  }

  private tableOf(id: string): string | null {
    const decoded = decodeDocumentId(id);
    return decoded === null ? null : this.deps.tables.nameOf(decoded.tableNumber);
  }

  /** `ctx.storage.getUrl(id)`: the download URL, or null when the file does not exist. */
  getUrl(tx: Transaction | null, storageId: unknown): string | null {
    const document = this.storageDocument(tx, storageId, "getUrl");
    return document === null ? null : this.downloadUrl(document.id);
  }

  /** The URL a file is served at: `<origin>/api/storage/<storage id>`. */
  downloadUrl(storageId: string): string {
    return `${this.origin}/api/storage/${storageId}`;
  }

  /** `ctx.storage.getMetadata(id)` (deprecated in Convex in favour of `db.system.get`). */
  getMetadata(tx: Transaction | null, storageId: unknown): FileMetadata | null {
    const document = this.storageDocument(tx, storageId, "getMetadata");
    if (document === null) return null;
    const contentType = document.value["contentType"];
    return {
      storageId: document.id,
      sha256: Buffer.from(document.value["sha256"] as string, "base64").toString("hex"),
      size: document.value["size"] as number,
      contentType: typeof contentType === "string" ? contentType : null,
    };
  }

  /**
   * `ctx.storage.delete(id)`: deletes in `tx` (or, from an action, in a transaction of its own).
   * @throws FunctionFailure when the file does not exist.
   */
  async delete(tx: Transaction | null, storageId: unknown): Promise<void> {
    const own = tx ?? this.transaction(false);
    const document = this.storageDocument(own, storageId, "delete");
    if (document === null) {
      if (tx === null) own.abort();
      throw new FunctionFailure(`Storage ID "${String(storageId)}" not found.`);
    }
    own.delete(document.id, STORAGE_TABLE, document);
    if (tx === null) await own.commit();
  }

  /** The file to serve for `storageId` at the latest commit, or null. */
  file(storageId: string): StoredFile | null {
    if (this.tableOf(storageId) !== STORAGE_TABLE) return null;
    const document = this.read((tx) => tx.get(storageId, STORAGE_TABLE));
    if (document === null) return null;
    const contentType = document.value["contentType"];
    return {
      path: this.blobs.pathOf(document.id),
      size: document.value["size"] as number,
      sha256: document.value["sha256"] as string,
      contentType: typeof contentType === "string" ? contentType : null,
    };
  }

  /**
   * Checks an upload token before its body is read.
   * @throws RequestError `StorageTokenInvalid` (unknown or used) or `StorageTokenExpired`.
   */
  checkUploadToken(token: string): void {
    if (this.tableOf(token) !== UPLOAD_TOKENS_TABLE) {
      throw new RequestError(
        "StorageTokenInvalid",
        "Couldn't decode the StoreFileAuthorization token",
      );
    }
    this.read((tx) => this.liveToken(tx, token));
  }

  /** The token's document if it can still be used. @throws RequestError otherwise. */
  private liveToken(tx: Transaction, token: string): StoredDocument {
    const document = tx.get(token, UPLOAD_TOKENS_TABLE);
    if (document === null) {
      throw new RequestError(
        "StorageTokenInvalid",
        "This upload URL was already used (an upload URL is good for one upload): generate a new one with storage.generateUploadUrl().",
      );
    }
    if ((document.value["expiresAt"] as number) <= this.now()) {
      throw new RequestError("StorageTokenExpired", "Store File Authorization expired");
    }
    return document;
  }

  /**
   * An upload to an upload URL: stores `body` and uses up the token, atomically.
   * @throws RequestError for a bad token, an oversize body (`PayloadTooLarge`) or a checksum
   * mismatch; nothing is kept then.
   */
  async upload(token: string, body: AsyncIterable<Uint8Array>, file: NewFile): Promise<string> {
    this.checkUploadToken(token);
    const temp = await this.writeTemp(
      body,
      file,
      (message) => new RequestError("BadRequest", message),
    );
    const tx = this.transaction(false);
    let storageId: string | null = null;
    try {
      const tokenDocument = this.liveToken(tx, token);
      tx.delete(token, UPLOAD_TOKENS_TABLE, tokenDocument);
      storageId = this.insert(tx, temp, file.contentType);
      await tx.commit();
      return storageId;
    } catch (error) {
      tx.abort();
      await (storageId === null ? this.blobs.discard(temp) : this.blobs.remove(storageId));
      // The token's document changed since it was read: another upload used it.
      if (error instanceof ConflictError) this.read((latest) => this.liveToken(latest, token));
      throw error;
    }
  }

  /**
   * `ctx.storage.store(blob)` in an action: stores the bytes in a transaction of its own.
   * @throws FunctionFailure when the file is too large or does not match `expectedSha256`.
   */
  async store(bytes: Uint8Array, file: NewFile): Promise<string> {
    const temp = await this.writeTemp([bytes], file, (message) => new FunctionFailure(message));
    const tx = this.transaction(false);
    const storageId = this.insert(tx, temp, file.contentType);
    try {
      await tx.commit();
    } catch (error) {
      await this.blobs.remove(storageId);
      throw error;
    }
    return storageId;
  }

  /**
   * `ctx.storage.store(blob)` in a mutation (convex 1.48): the file's `_storage` document is one
   * of `tx`'s writes, so the file exists for others only once the mutation commits; a mutation
   * that fails, conflicts or rolls the write back (a failed nested mutation) leaves no file: its
   * bytes are removed when the transaction ends.
   * @throws FunctionFailure when the file does not match `expectedSha256`, or past the
   *   transaction's file limits.
   */
  async storeIn(tx: Transaction, bytes: Uint8Array, file: NewFile): Promise<string> {
    // Counted before the write: concurrent stores of one mutation share its limits.
    checkFileLimit(tx.files.written + 1, tx.files.writeBytes + bytes.length, "written");
    tx.files.written += 1;
    tx.files.writeBytes += bytes.length;
    let temp: TempBlob;
    try {
      temp = await this.writeTemp([bytes], file, (message) => new FunctionFailure(message));
    } catch (error) {
      tx.files.written -= 1;
      tx.files.writeBytes -= bytes.length;
      throw error;
    }
    if (tx.state !== "open") {
      await this.blobs.discard(temp);
      throw new FunctionFailure(ENDED_TEXT("store"));
    }
    const storageId = this.insert(tx, temp, file.contentType);
    tx.onEnd(() => {
      if (this.read((latest) => latest.get(storageId, STORAGE_TABLE)) === null)
        this.blobs.remove(storageId).catch(() => {}); // else swept at the next start
    });
    return storageId;
  }

  /**
   * `ctx.storage.get(id)`: the contents and type, or null; in a mutation, read in its `tx`
   * (a file it stored itself included; the read counts toward its file limits).
   */
  async get(
    storageId: unknown,
    tx: Transaction | null = null,
  ): Promise<{ bytes: Buffer; contentType: string | null } | null> {
    const document = this.storageDocument(tx, storageId, "get");
    if (document === null) return null;
    if (tx !== null) {
      const size = document.value["size"] as number;
      checkFileLimit(tx.files.read + 1, tx.files.readBytes + size, "read");
      tx.files.read += 1;
      tx.files.readBytes += size;
    }
    const contentType = document.value["contentType"];
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(this.blobs.pathOf(document.id));
    } catch (error) {
      // An action read the latest commit, and the file was deleted since: it is gone. (A
      // mutation's snapshot keeps a deleted file's bytes on disk until it ends.)
      if (tx === null && (error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    return { bytes, contentType: typeof contentType === "string" ? contentType : null };
  }

  /** Writes a temp file within the size limit and checks the expected checksum. */
  private async writeTemp(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    file: NewFile,
    failure: (message: string) => Error,
  ): Promise<TempBlob> {
    const temp = await this.blobs.writeTemp(body, this.maxFileBytes);
    const expected = file.expectedSha256;
    if (
      typeof expected === "string" &&
      expected !== temp.sha256.toString("hex") &&
      expected !== temp.sha256.toString("base64")
    ) {
      await this.blobs.discard(temp);
      throw failure(
        `The file's SHA-256 checksum ${temp.sha256.toString("base64")} does not match the expected ${expected}.`,
      );
    }
    return temp;
  }

  /** Inserts the `_storage` document of `temp` in `tx` and moves the file into place. */
  private insert(tx: Transaction, temp: TempBlob, contentType: string | null): string {
    const fields: DocumentValue = { sha256: temp.sha256.toString("base64"), size: temp.size };
    if (contentType !== null && contentType !== "") fields["contentType"] = contentType;
    const storageId = tx.insert(STORAGE_TABLE, fields);
    this.blobs.place(temp, storageId);
    return storageId;
  }
}
