/**
 * File storage, through the official clients and plain `fetch`, against the storage fixture app.
 * The stories: the upload flow of Convex's docs (generateUploadUrl -> POST -> save the storage
 * id -> getUrl in a query -> download with the right content type); the `_storage` system table
 * through `db.system`, reactive; storing, reading and deleting in actions; a deleted file stops
 * serving and leaves the disk. The faults: an upload URL used twice (also at the same time), an
 * expired one (injected clock), one from a mutation that failed, a garbage token, an oversize body
 * (declared or streamed) and a checksum mismatch each get Convex's error and keep nothing.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenericId } from "convex/values";
import { httpClient, record, serve, syncClient } from "../sync/support/clients.ts";
import type { TestBackend } from "../utils/backend.ts";
import { failure } from "./support/fixture.ts";
import { STORAGE_APP_DIR, storageApp as app, request, upload } from "./support/storage_app.ts";
import { eventually, step } from "../utils/waits.ts";

/** The size limit these tests run with, in bytes. */
const MAX_FILE_BYTES = 64 * 1024;
const HOUR_MS = 3_600_000;

let backend: TestBackend;
/** Added to the real clock the file storage reads (upload URLs expire by it). */
let clockOffsetMs = 0;

beforeAll(async () => {
  backend = await serve({
    dir: STORAGE_APP_DIR,
    files: { maxFileBytes: MAX_FILE_BYTES, now: () => Date.now() + clockOffsetMs },
  });
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
});

function storageDir(): string {
  return path.join(path.dirname(backend.dataFile), "storage");
}

function filesOnDisk(): string[] {
  return fs.readdirSync(storageDir()).sort();
}

function sha256(bytes: Uint8Array | string): Buffer {
  return createHash("sha256").update(bytes).digest();
}

async function uploadUrl(): Promise<string> {
  return step(httpClient(backend.url).mutation(app.generateUploadUrl, {}), "generateUploadUrl");
}

async function uploadFile(
  bytes: Uint8Array | string,
  type?: string,
): Promise<GenericId<"_storage">> {
  const answer = await upload(await uploadUrl(), bytes, type);
  expect(answer.status).toBe(200);
  return answer.json?.["storageId"] as GenericId<"_storage">;
}

async function storedCount(): Promise<number> {
  return (await step(httpClient(backend.url).query(app.listFiles, {}), "files:list")).length;
}

describe("the upload flow of Convex's docs", () => {
  it("uploads, saves the storage id, and serves the file at getUrl with its type", async () => {
    const client = httpClient(backend.url);
    const photo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 255]);
    // 1. A mutation hands out an upload URL in Convex's format.
    const postUrl = await step(client.mutation(app.generateUploadUrl, {}), "generateUploadUrl");
    expect(postUrl).toMatch(new RegExp(`^${backend.url}/api/storage/upload\\?token=[0-9a-z]+$`));
    // 2. The browser POSTs the file; the answer is {storageId}.
    const answer = await upload(postUrl, photo, "image/png");
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json ?? {})).toEqual(["storageId"]);
    const storageId = answer.json?.["storageId"] as GenericId<"_storage">;
    // 3. Another mutation saves the id; 4. a query turns it into a URL.
    await step(client.mutation(app.sendImage, { storageId, author: "ada" }), "sendImage");
    const [message] = await step(client.query(app.listMessages, {}), "messages:list");
    expect(message).toMatchObject({ author: "ada", body: storageId, format: "image" });
    expect(message?.url).toBe(`${backend.url}/api/storage/${storageId}`);
    // 5. The URL serves the bytes with their type, length and checksum.
    const download = await request(message?.url ?? "");
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("image/png");
    expect(download.headers.get("content-length")).toBe(String(photo.length));
    expect(download.headers.get("digest")).toBe(`sha-256=${sha256(photo).toString("base64")}`);
    expect(download.bytes.equals(photo)).toBe(true);
    // The file is on disk beside the data file, under its storage id; no temp file is left.
    expect(filesOnDisk()).toContain(storageId);
    expect(filesOnDisk().filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("describes each file in the _storage system table, as db.system reads it", async () => {
    const client = httpClient(backend.url);
    const text = "plain text, no type";
    const typed = await uploadFile("{}", "application/json");
    const untyped = await uploadFile(Buffer.from(text)); // bytes: fetch sends no type
    const document = await step(client.query(app.getFile, { id: typed }), "db.system.get");
    expect(Object.keys(document ?? {}).sort()).toEqual(
      ["_creationTime", "_id", "contentType", "sha256", "size"].sort(),
    );
    expect(document).toMatchObject({
      _id: typed,
      sha256: sha256("{}").toString("base64"),
      size: 2,
      contentType: "application/json",
    });
    expect(typeof document?._creationTime).toBe("number");
    const bare = await step(client.query(app.getFile, { id: untyped }), "db.system.get");
    expect(bare).not.toHaveProperty("contentType");
    // The deprecated getMetadata answers the checksum in hex.
    const metadata = await step(client.query(app.metadata, { id: untyped }), "getMetadata");
    expect(metadata).toEqual({
      storageId: untyped,
      sha256: sha256(text).toString("hex"),
      size: Buffer.byteLength(text),
      contentType: null,
    });
    const listed = await step(client.query(app.listFiles, {}), "db.system.query");
    expect(listed.map((file) => file._id)).toEqual(expect.arrayContaining([typed, untyped]));
  });

  it("updates a subscribed query when a file is uploaded and when it is deleted", async () => {
    await using client = syncClient(backend.url);
    using files = record(client, app.listFiles, {});
    const before = await files.atLeast(1, "the first list of files");
    const count = before[0]?.length ?? 0;
    const id = await uploadFile("reactive", "text/plain");
    await files.value((list) => list.some((file) => file._id === id), "the upload to show");
    await step(httpClient(backend.url).mutation(app.remove, { id }), "files:remove");
    await files.value((list) => list.length === count, "the delete to show");
  });
});

describe("deleting", () => {
  it("stops serving a deleted file's URL and removes it from disk", async () => {
    const client = httpClient(backend.url);
    const id = await uploadFile("soon gone", "text/plain");
    await step(client.mutation(app.sendImage, { storageId: id, author: "bo" }), "sendImage");
    const url = await step(client.query(app.url, { id }), "getUrl");
    expect((await request(url ?? "")).status).toBe(200);
    const messages = await step(client.query(app.listMessages, {}), "messages:list");
    const message = messages.find((m) => m.body === id);
    await step(client.mutation(app.deleteImage, { id: message!._id }), "deleteImage");
    const gone = await request(url ?? "");
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ code: "FileNotFound" });
    expect(await step(client.query(app.url, { id }), "getUrl")).toBeNull();
    expect(await step(client.query(app.getFile, { id }), "db.system.get")).toBeNull();
    await eventually(() => !filesOnDisk().includes(id), "the file to leave the disk");
    // Deleting it again is an error, as in Convex.
    const again = await failure(client.mutation(app.remove, { id }));
    expect(again.message).toContain(`Storage ID "${id}" not found`);
  });
});

describe("storage in actions", () => {
  it("stores a generated file, reads it back, and records it with a mutation", async () => {
    const client = httpClient(backend.url);
    const id = await step(
      client.action(app.storeGenerated, {
        text: "généré",
        contentType: "text/markdown",
        author: "ai",
      }),
      "storeGenerated",
    );
    expect(await step(client.action(app.readBack, { id }), "readBack")).toEqual({
      text: "généré",
      type: "text/markdown",
      size: Buffer.byteLength("généré"),
    });
    const download = await request((await step(client.query(app.url, { id }), "getUrl")) ?? "");
    expect(download.text).toBe("généré");
    expect(download.headers.get("content-type")).toBe("text/markdown");
    const messages = await step(client.query(app.listMessages, {}), "messages:list");
    expect(messages.some((m) => m.body === id && m.author === "ai")).toBe(true);
  });

  it("gets the URL and metadata, deletes, and sees the file gone", async () => {
    const client = httpClient(backend.url);
    const id = await uploadFile("action side", "text/plain");
    const result = await step(client.action(app.inAction, { id }), "inAction");
    expect(result.url).toBe(`${backend.url}/api/storage/${id}`);
    expect(result.metadata).toMatchObject({ sha256: sha256("action side").toString("hex") });
    expect(result.after).toBeNull();
    expect(await step(client.action(app.readBack, { id }), "readBack")).toBeNull();
  });

  it("hands out upload URLs from actions", async () => {
    const client = httpClient(backend.url);
    const url = await step(client.action(app.uploadUrlFromAction, {}), "uploadUrlFromAction");
    const answer = await upload(url, "from an action's URL", "text/plain");
    expect(answer.status).toBe(200);
  });

  it("refuses a blob whose checksum does not match, keeping nothing", async () => {
    const client = httpClient(backend.url);
    const count = await storedCount();
    const files = filesOnDisk();
    const good = sha256("checked").toString("hex");
    const stored = await step(
      client.action(app.storeWithChecksum, { text: "checked", sha256: good }),
      "store with the right checksum",
    );
    expect(typeof stored).toBe("string");
    const error = await failure(
      client.action(app.storeWithChecksum, {
        text: "checked",
        sha256: sha256("x").toString("hex"),
      }),
    );
    expect(error.message).toContain("does not match the expected");
    expect(await storedCount()).toBe(count + 1);
    expect(filesOnDisk()).toEqual([...files, stored].sort());
  });
});

describe("storage in mutations (convex 1.48)", () => {
  it("stores a file and records it in one transaction, served like any other", async () => {
    const client = httpClient(backend.url);
    const args = { text: "from a mutation", contentType: "text/csv", author: "mo" };
    const id = await step(client.mutation(app.storeInMutation, args), "storeInMutation");
    const download = await request((await step(client.query(app.url, { id }), "getUrl")) ?? "");
    expect(download.text).toBe("from a mutation");
    expect(download.headers.get("content-type")).toBe("text/csv");
    const messages = await step(client.query(app.listMessages, {}), "messages:list");
    expect(messages.some((m) => m.body === id && m.author === "mo")).toBe(true);
    expect(await step(client.mutation(app.readInMutation, { id }), "readInMutation")).toBe(
      "from a mutation",
    );
  });

  it("reads back in the same mutation what it stored, counting both in its metrics", async () => {
    const client = httpClient(backend.url);
    const result = await step(client.mutation(app.storeAndRead, { text: "round trip" }), "store");
    expect(result).toMatchObject({
      text: "round trip",
      type: "text/plain",
      filesWritten: 1,
      fileWriteBytes: Buffer.byteLength("round trip"),
      filesRead: 1,
    });
  });

  it("keeps nothing of a file stored by a mutation that then fails", async () => {
    const client = httpClient(backend.url);
    const before = await storedCount();
    const thrown = await failure(client.mutation(app.storeThenFail, { text: "rolled back" }));
    const { storageId } = (thrown as Error & { data: { storageId: string } }).data;
    expect(await step(client.query(app.getFile, { id: storageId as never }), "get")).toBeNull();
    expect(await storedCount()).toBe(before);
    await eventually(() => !filesOnDisk().includes(storageId), "the file to leave the disk");
  });
});

describe("faults", () => {
  it("refuses a second upload to the same URL", async () => {
    const url = await uploadUrl();
    expect((await upload(url, "first", "text/plain")).status).toBe(200);
    const count = await storedCount();
    const second = await upload(url, "second", "text/plain");
    expect(second.status).toBe(401);
    expect(second.json).toMatchObject({ code: "StorageTokenInvalid" });
    expect(await storedCount()).toBe(count);
  });

  it("lets exactly one of two simultaneous uploads to one URL through", async () => {
    const url = await uploadUrl();
    const count = await storedCount();
    const files = filesOnDisk().length;
    const answers = await Promise.all([
      upload(url, "racer one", "text/plain"),
      upload(url, "racer two", "text/plain"),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    expect(await storedCount()).toBe(count + 1);
    expect(filesOnDisk()).toHaveLength(files + 1);
  });

  it("refuses an expired upload URL (1 hour, on the injected clock)", async () => {
    const url = await uploadUrl();
    const count = await storedCount();
    clockOffsetMs = HOUR_MS;
    try {
      const late = await upload(url, "too late", "text/plain");
      expect(late.status).toBe(401);
      expect(late.json).toEqual({
        code: "StorageTokenExpired",
        message: "Store File Authorization expired",
      });
    } finally {
      clockOffsetMs = 0;
    }
    expect(await storedCount()).toBe(count);
    // Just before the hour it still works.
    const url2 = await uploadUrl();
    clockOffsetMs = HOUR_MS - 1_000;
    try {
      expect((await upload(url2, "in time", "text/plain")).status).toBe(200);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it("issues no URL from a mutation that fails", async () => {
    const error = await failure(httpClient(backend.url).mutation(app.generateThenFail, {}));
    const url = /failing after generating (\S+)/.exec(error.message)?.[1];
    expect(url).toMatch(/\/api\/storage\/upload\?token=/);
    const answer = await upload(url ?? "", "never", "text/plain");
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: "StorageTokenInvalid" });
  });

  it("refuses a token that is not one", async () => {
    for (const token of ["garbage", "", (await uploadFile("an id")) as string]) {
      const answer = await upload(`${backend.url}/api/storage/upload?token=${token}`, "x");
      expect(answer.status).toBe(token === "" ? 400 : 401);
    }
  });

  it("refuses an oversize upload, declared or streamed, and keeps nothing", async () => {
    const url = await uploadUrl();
    const count = await storedCount();
    const files = filesOnDisk();
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, 7);
    const declared = await upload(url, big, "application/octet-stream");
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ code: "PayloadTooLarge" });
    // Without a Content-Length the limit is found while the body streams in.
    const streamed = await request(url, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 9; i++) controller.enqueue(new Uint8Array(MAX_FILE_BYTES / 8));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await storedCount()).toBe(count);
    expect(filesOnDisk()).toEqual(files);
    // The URL was not used up: a file within the limit still goes through it.
    expect((await upload(url, Buffer.alloc(MAX_FILE_BYTES, 1))).status).toBe(200);
  });

  it("refuses an upload whose Digest does not match", async () => {
    const url = await uploadUrl();
    const count = await storedCount();
    const wrong = await upload(url, "body", "text/plain", {
      digest: `sha-256=${sha256("other").toString("base64")}`,
    });
    expect(wrong.status).toBe(400);
    expect(await storedCount()).toBe(count);
    const right = await upload(url, "body", "text/plain", {
      digest: `sha-256=${sha256("body").toString("base64")}`,
    });
    expect(right.status).toBe(200);
  });

  it("answers a bad download path and an unknown file", async () => {
    expect((await request(`${backend.url}/api/storage/`)).json).toMatchObject({
      code: "InvalidStoragePath",
    });
    const unknown = await request(`${backend.url}/api/storage/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: "FileNotFound" });
  });
});

describe("restarts", () => {
  it("keeps stored files and URLs across a restart, and sweeps a crash's leftovers", async () => {
    const first = await serve({ dir: STORAGE_APP_DIR });
    const dataFile = first.dataFile;
    const dir = path.join(path.dirname(dataFile), "storage");
    let id: GenericId<"_storage">;
    let pendingUrl: string;
    try {
      const client = httpClient(first.url);
      const answer = await upload(
        await step(client.mutation(app.generateUploadUrl, {}), "url"),
        "kept",
        "text/plain",
      );
      id = answer.json?.["storageId"] as GenericId<"_storage">;
      pendingUrl = await step(client.mutation(app.generateUploadUrl, {}), "an unused URL");
    } finally {
      await first.close();
    }
    // What a crash can leave: a temp file mid-upload, a file whose document never committed.
    fs.writeFileSync(path.join(dir, "0b5a9f9e-half-written.tmp"), "partial");
    fs.writeFileSync(path.join(dir, "jd7f0000000000000000000000000000"), "orphan");
    // The data file stays in the first backend's folder, which the second one reuses.
    const second = await serve({ dir: STORAGE_APP_DIR, dataFile });
    try {
      expect(fs.readdirSync(dir)).toEqual([id]);
      const url = await step(httpClient(second.url).query(app.url, { id }), "getUrl");
      expect((await request(url ?? "")).text).toBe("kept");
      // An upload URL handed out before the restart still works (on the new port's origin too).
      const token = new URL(pendingUrl).search;
      const late = await upload(`${second.url}/api/storage/upload${token}`, "after restart");
      expect(late.status).toBe(200);
    } finally {
      await second[Symbol.asyncDispose]();
      await first[Symbol.asyncDispose]();
    }
  });
});
