/**
 * File contents on disk, one file per stored file in `<data file dir>/storage/`, named by its
 * `_storage` document id. A file is written to a temp file (`*.tmp`) while its bytes arrive and
 * are hashed, fsynced, then renamed into place before the `_storage` document commits; so a crash
 * leaves at worst a temp file or a file no document names, and `sweep` removes those at start.
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const TEMP_SUFFIX = ".tmp";

/** A file that exceeded the size limit while it was being written (nothing is kept). */
export class FileTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`File is larger than the ${limitBytes} byte limit.`);
    this.name = "FileTooLargeError";
  }
}

/** A fully written, fsynced temp file, not yet part of the store. */
export interface TempBlob {
  readonly path: string;
  /** SHA-256 of the contents. */
  readonly sha256: Buffer;
  /** Size in bytes. */
  readonly size: number;
}

export class BlobStore {
  /** Creates `dir` if needed. */
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /**
   * Writes `chunks` to a new temp file, hashing them on the way.
   * @throws FileTooLargeError past `maxBytes` (the temp file is removed); any I/O error likewise.
   */
  async writeTemp(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    maxBytes: number,
  ): Promise<TempBlob> {
    const tempPath = path.join(this.dir, `${randomUUID()}${TEMP_SUFFIX}`);
    const handle = await fs.promises.open(tempPath, "wx");
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of chunks) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new FileTooLargeError(maxBytes);
        hash.update(chunk);
        await handle.write(chunk);
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.promises.rm(tempPath, { force: true });
      throw error;
    }
    await handle.close();
    return { path: tempPath, sha256: hash.digest(), size };
  }

  /** Moves a temp file into place under `name` (atomic rename in the same folder). */
  place(temp: TempBlob, name: string): void {
    fs.renameSync(temp.path, this.pathOf(name));
  }

  /** Removes a temp file that will not be placed. */
  async discard(temp: TempBlob): Promise<void> {
    await fs.promises.rm(temp.path, { force: true });
  }

  /** The path of the stored file `name`. */
  pathOf(name: string): string {
    return path.join(this.dir, name);
  }

  /** Removes the stored file `name`; a missing file is not an error. */
  async remove(name: string): Promise<void> {
    await fs.promises.rm(this.pathOf(name), { force: true });
  }

  /** Removes temp files and files `isLive` does not claim (left by a crash). Returns the count. */
  sweep(isLive: (name: string) => boolean): number {
    let removed = 0;
    for (const name of fs.readdirSync(this.dir)) {
      if (name.endsWith(TEMP_SUFFIX) || !isLive(name)) {
        fs.rmSync(path.join(this.dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
}
