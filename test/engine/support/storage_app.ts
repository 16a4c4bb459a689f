/**
 * The storage fixture app (`test/fixtures/storage_app`, written as Convex's docs write apps:
 * the upload flow, storing generated files, serving through HTTP actions, a webhook) and plain
 * `fetch` helpers for uploads and downloads, each bounded by a timeout.
 */
import path from "node:path";
import type { GenericId } from "convex/values";
import { REPO_ROOT } from "../../utils/backend.ts";
import { STEP_MS, within } from "../../utils/waits.ts";
import { api } from "../../fixtures/storage_app/convex/_generated/api.js";

/** The storage fixture app (the folder holding its `convex/`). */
export const STORAGE_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "storage_app");

type StorageId = GenericId<"_storage">;

/** A `_storage` document as `db.system` reads it. */
export interface StorageDoc {
  _id: StorageId;
  _creationTime: number;
  sha256: string;
  size: number;
  contentType?: string;
}

export interface Message {
  _id: GenericId<"messages">;
  _creationTime: number;
  author: string;
  body: string;
  format: "text" | "image";
  url?: string | null;
}

export const storageApp = {
  generateUploadUrl: api.messages.generateUploadUrl,
  sendImage: api.messages.sendImage,
  listMessages: api.messages.list,
  deleteImage: api.messages.deleteImage,
  generateThenFail: api.messages.generateThenFail,
  listFiles: api.files.list,
  getFile: api.files.get,
  url: api.files.url,
  metadata: api.files.metadata,
  remove: api.files.remove,
  storeGenerated: api.files.storeGenerated,
  storeWithChecksum: api.files.storeWithChecksum,
  readBack: api.files.readBack,
  inAction: api.files.inAction,
  uploadUrlFromAction: api.files.uploadUrlFromAction,
  storeInMutation: api.files.storeInMutation,
  storeThenFail: api.files.storeThenFail,
  storeAndRead: api.files.storeAndRead,
  readInMutation: api.files.readInMutation,
  deliveries: api.deliveries.list,
};

/** An HTTP answer read whole: status, headers, body bytes and (when it parses) JSON. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
  readonly text: string;
  readonly json: Record<string, unknown> | null;
}

/** `fetch` with the answer read whole, both bounded by {@link STEP_MS}. */
export async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await within(fetch(url, init), STEP_MS, `${init.method ?? "GET"} ${url}`);
  const bytes = Buffer.from(
    await within(response.arrayBuffer(), STEP_MS, `the body of ${init.method ?? "GET"} ${url}`),
  );
  const text = bytes.toString("utf8");
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, bytes, text, json };
}

/** POSTs `body` to an upload URL, as a browser does (`Content-Type` from the file). */
export async function upload(
  uploadUrl: string,
  body: Uint8Array | string,
  contentType?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return request(uploadUrl, {
    method: "POST",
    headers: { ...(contentType !== undefined ? { "content-type": contentType } : {}), ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
}
