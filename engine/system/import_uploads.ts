/**
 * Unfinished uploads of `npx convex import`: the parts that arrived under each upload token, held
 * against the shared byte budget until the upload finishes, fails, or expires.
 *
 *   start_upload ──▶ receiving ──finish_upload──▶ (bytes handed to the import)
 *                      │   ▲ part (restarts the expiry timer)
 *                      │   └──┘
 *                      ├── a part past the budget (413) ──▶ dropped
 *                      └── no part for expireAfterMs ──────▶ expired (its token answers UploadExpired)
 */
import { randomBytes } from "node:crypto";
import { RequestError } from "../errors.ts";
import { describeDuration, ExpiryTimers, RecentKeys, type ByteBudget } from "./import_limits.ts";

/** The most uploads unfinished at once; start_upload past it is refused (429). */
export const MAX_UNFINISHED_UPLOADS = 64;
/** Expired tokens remembered, so their uploads' clients hear "expired" rather than "unknown". */
const REMEMBERED_EXPIRED_TOKENS = 1024;

export function newToken(): string {
  return randomBytes(16).toString("hex");
}

export class UploadBuffers {
  private readonly uploads = new Map<string, Buffer[]>();
  private readonly expired = new RecentKeys(REMEMBERED_EXPIRED_TOKENS);
  private readonly timers: ExpiryTimers;

  constructor(
    private readonly budget: ByteBudget,
    expireAfterMs: number,
  ) {
    this.timers = new ExpiryTimers(expireAfterMs);
  }

  /** A new upload's token. @throws RequestError (TooManyUploads) past MAX_UNFINISHED_UPLOADS. */
  start(): string {
    if (this.uploads.size >= MAX_UNFINISHED_UPLOADS) {
      throw new RequestError(
        "TooManyUploads",
        `At most ${MAX_UNFINISHED_UPLOADS} imports may be uploading at once; unfinished uploads expire ${describeDuration(this.timers.afterMs)} after their last part.`,
      );
    }
    const token = newToken();
    this.uploads.set(token, []);
    this.timers.schedule(token, () => this.expire(token));
    return token;
  }

  /** Keeps one part; returns the part's token. @throws RequestError */
  add(token: string, bytes: Buffer): string {
    const parts = this.partsOf(token);
    if (!this.budget.take(bytes.length)) {
      this.drop(token);
      throw new RequestError(
        "PayloadTooLarge",
        `Imports being uploaded or waiting for confirmation may hold at most ${this.budget.limit} bytes in all; unfinished ones expire ${describeDuration(this.timers.afterMs)} after their last activity.`,
      );
    }
    parts.push(bytes);
    this.timers.schedule(token, () => this.expire(token));
    return `${token}:${parts.length}`;
  }

  /**
   * Ends an upload and hands over its file. Its bytes stay charged to the budget: the caller
   * releases them. @throws RequestError for an unknown or expired token.
   */
  take(token: string): Buffer {
    const file = Buffer.concat(this.partsOf(token));
    this.uploads.delete(token);
    this.timers.cancel(token);
    return file;
  }

  /** Stops every expiry timer (engine close). */
  close(): void {
    this.timers.close();
  }

  private partsOf(token: string): Buffer[] {
    const parts = this.uploads.get(token);
    if (parts !== undefined) return parts;
    if (this.expired.has(token)) {
      throw new RequestError(
        "UploadExpired",
        `This upload expired: no part arrived for ${describeDuration(this.timers.afterMs)}, so its parts were dropped. Run \`npx convex import\` again.`,
      );
    }
    throw new RequestError("NotFound", "Unknown or finished upload.");
  }

  private drop(token: string): void {
    const parts = this.uploads.get(token) ?? [];
    this.uploads.delete(token);
    this.timers.cancel(token);
    this.budget.release(parts.reduce((sum, part) => sum + part.length, 0));
  }

  private expire(token: string): void {
    this.drop(token);
    this.expired.add(token);
  }
}
