/**
 * The storage fixture app (`test/fixtures/storage_app`, written as Convex's docs write apps:
 * the upload flow, storing generated files, serving through HTTP actions, a webhook) and plain
 * `fetch` helpers for uploads and downloads, each bounded by a timeout.
 */
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import type { GenericId } from "convex/values";
import { REPO_ROOT } from "../../utils/backend.ts";
import { within } from "../../utils/waits.ts";

/** The storage fixture app (the folder holding its `convex/`). */
export const STORAGE_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "storage_app");

/** Bound for one HTTP exchange with the local backend, in ms. */
export const HTTP_MS = 5_000;

type Empty = Record<string, never>;
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
  generateUploadUrl: makeFunctionReference<"mutation", Empty, string>("messages:generateUploadUrl"),
  sendImage: makeFunctionReference<"mutation", { storageId: StorageId; author: string }, null>(
    "messages:sendImage",
  ),
  listMessages: makeFunctionReference<"query", Empty, Message[]>("messages:list"),
  deleteImage: makeFunctionReference<"mutation", { id: GenericId<"messages"> }, null>(
    "messages:deleteImage",
  ),
  generateThenFail: makeFunctionReference<"mutation", Empty, null>("messages:generateThenFail"),
  listFiles: makeFunctionReference<"query", Empty, StorageDoc[]>("files:list"),
  getFile: makeFunctionReference<"query", { id: StorageId }, StorageDoc | null>("files:get"),
  url: makeFunctionReference<"query", { id: StorageId }, string | null>("files:url"),
  metadata: makeFunctionReference<
    "query",
    { id: StorageId },
    { storageId: string; sha256: string; size: number; contentType: string | null } | null
  >("files:metadata"),
  remove: makeFunctionReference<"mutation", { id: StorageId }, null>("files:remove"),
  storeGenerated: makeFunctionReference<
    "action",
    { text: string; contentType: string; author: string },
    StorageId
  >("files:storeGenerated"),
  storeWithChecksum: makeFunctionReference<"action", { text: string; sha256: string }, StorageId>(
    "files:storeWithChecksum",
  ),
  readBack: makeFunctionReference<
    "action",
    { id: StorageId },
    { text: string; type: string; size: number } | null
  >("files:readBack"),
  inAction: makeFunctionReference<
    "action",
    { id: StorageId },
    {
      url: string | null;
      metadata: { sha256: string; size: number; contentType: string | null } | null;
      after: string | null;
    }
  >("files:inAction"),
  uploadUrlFromAction: makeFunctionReference<"action", Empty, string>("files:uploadUrlFromAction"),
  deliveries: makeFunctionReference<
    "query",
    Empty,
    { source: string; event: string; amount: number }[]
  >("deliveries:list"),
};

/** An HTTP answer read whole: status, headers, body bytes and (when it parses) JSON. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
  readonly text: string;
  readonly json: Record<string, unknown> | null;
}

/** `fetch` with the answer read whole, both bounded by {@link HTTP_MS}. */
export async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await within(fetch(url, init), HTTP_MS, `${init.method ?? "GET"} ${url}`);
  const bytes = Buffer.from(
    await within(response.arrayBuffer(), HTTP_MS, `the body of ${init.method ?? "GET"} ${url}`),
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
