/**
 * Abandoned imports expire: a backend started with a 1 MiB import budget and a 3 s expiry, driven
 * over raw `fetch` exactly as `npx convex import` calls it (start_upload, upload_part,
 * finish_upload, perform_import). Uploads left unfinished hold the budget (a part past it is
 * refused with 413) until they expire, and then free it; an expired token or import answers a
 * 404 `{code, message}` that Convex's CLI prints, never a 500. An import left waiting for
 * confirmation expires the same way, and its record is forgotten one expiry later.
 */
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { expect, it } from "vitest";
import { api as app } from "../../convex/_generated/api.js";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { delay, eventually } from "../utils/waits.ts";

const EXPIRE_AFTER_MS = 3_000;
const MAX_HELD_BYTES = 1024 * 1024;
const imports = { maxHeldBytes: MAX_HELD_BYTES, expireAfterMs: EXPIRE_AFTER_MS };
/** Long enough for an expiry plus a loaded machine. */
const EXPIRY_WAIT_MS = EXPIRE_AFTER_MS + 10_000;

/** The import HTTP API of one backend, with its admin key. */
function importApi(backend: TestBackend) {
  const post = async (route: string, body?: BodyInit) => {
    const response = await fetch(`${backend.url}${route}`, {
      method: "POST",
      headers: { authorization: `Convex ${backend.adminKey}` },
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const start = async () =>
    (await post("/api/import/start_upload")).body["uploadToken"] as string | undefined;
  const part = (token: string | undefined, bytes: number | string, partNumber = 1) =>
    post(
      `/api/import/upload_part?uploadToken=${token}&partNumber=${partNumber}`,
      typeof bytes === "string" ? bytes : Buffer.alloc(bytes, "x"),
    );
  const finish = (uploadToken: string | undefined, partTokens: unknown[]) =>
    post(
      "/api/import/finish_upload",
      JSON.stringify({
        import: { tableName: "orders", mode: "requireEmpty", format: "jsonLines" },
        uploadToken,
        partTokens,
      }),
    );
  const perform = (importId: string) => post("/api/perform_import", JSON.stringify({ importId }));
  return { start, part, finish, perform };
}

/** A fresh upload of `bytes`, tried every 100 ms until the budget takes it; resolves the time. */
async function uploadOnceThereIsRoom(api: ReturnType<typeof importApi>, bytes: number) {
  await eventually(
    async () => {
      const accepted = (await api.part(await api.start(), bytes)).status === 200;
      if (!accepted) await delay(100); // a refused part drops its upload: nothing piles up
      return accepted;
    },
    "the budget to take an upload again",
    EXPIRY_WAIT_MS,
  );
  return Date.now();
}

it("drops abandoned uploads after their expiry, freeing the budget", async () => {
  await using backend = await startTestBackend({ imports });
  const api = importApi(backend);
  const abandoned = await api.start();
  expect((await api.part(abandoned, 400 * 1024)).status).toBe(200);
  const second = await api.start();
  const lastPartSent = Date.now();
  expect((await api.part(second, 400 * 1024)).status).toBe(200);

  // 800 KiB of the 1 MiB are held by uploads nobody will finish: a 700 KiB part is refused.
  const refused = await api.part(await api.start(), 700 * 1024);
  expect(refused.status).toBe(413);
  expect(refused.body["code"]).toBe("PayloadTooLarge");
  expect(refused.body["message"]).toMatch(
    /at most 1048576 bytes in all; unfinished ones expire 3 seconds after/,
  );

  // Once both expired (never before: the timer restarts at each part), the budget takes it.
  const acceptedAt = await uploadOnceThereIsRoom(api, 700 * 1024);
  expect(acceptedAt - lastPartSent).toBeGreaterThanOrEqual(EXPIRE_AFTER_MS - 50);

  // The abandoned tokens now answer a clear 404, for a part and for finish_upload alike.
  const late = await api.part(abandoned, "more", 2);
  expect(late).toEqual({
    status: 404,
    body: {
      code: "UploadExpired",
      message:
        "This upload expired: no part arrived for 3 seconds, so its parts were dropped. Run `npx convex import` again.",
    },
  });
  const finished = await api.finish(second, []);
  expect([finished.status, finished.body["code"]]).toEqual([404, "UploadExpired"]);
  const unknown = await api.part("0".repeat(32), "x");
  expect([unknown.status, unknown.body["code"]]).toEqual([404, "NotFound"]);
}, 60_000);

it("expires an import left waiting for confirmation, then forgets it", async () => {
  await using backend = await startTestBackend({ imports });
  const api = importApi(backend);
  const http = new ConvexHttpClient(backend.url);
  // `setAdminAuth` is how the CLI authenticates (an internal method: not in the typings).
  (http as unknown as { setAdminAuth(key: string): void }).setAdminAuth(backend.adminKey);
  const queryImport = makeFunctionReference<"query">("_system/cli/queryImport");
  const stateOf = async (importId: string) =>
    ((await http.query(queryImport, { importId })) as { state: { state: string } } | null)?.state;

  // A 600 KiB file of rows, uploaded and parsed, then never confirmed.
  const row = JSON.stringify({ dish: "x".repeat(1000), table: 1, status: "placed", createdAt: 1 });
  const token = await api.start();
  const part = await api.part(token, `${row}\n`.repeat(600));
  const { body } = await api.finish(token, [part.body]);
  const importId = body["importId"] as string;
  expect((await stateOf(importId))?.state).toBe("waiting_for_confirmation");
  expect((await api.part(await api.start(), 600 * 1024)).status).toBe(413);

  await eventually(
    async () => (await stateOf(importId))?.state === "failed",
    "the unconfirmed import to expire",
    EXPIRY_WAIT_MS,
  );
  expect(await stateOf(importId)).toEqual({
    state: "failed",
    error_message:
      "This import expired: it waited for confirmation longer than 3 seconds, so its rows were dropped. Run `npx convex import` again.",
  });
  const confirmed = await api.perform(importId);
  expect([confirmed.status, confirmed.body["code"]]).toEqual([404, "ImportExpired"]);
  expect((await api.part(await api.start(), 600 * 1024)).status).toBe(200);
  expect(await http.query(app.orders.getActiveOrders, {})).toEqual([]);

  // One expiry later the record itself is gone (queryImport answers null, as for an unknown id).
  await eventually(
    async () => (await stateOf(importId)) === undefined,
    "the record to be forgotten",
    EXPIRY_WAIT_MS,
  );
  const forgotten = await api.perform(importId);
  expect([forgotten.status, forgotten.body["code"]]).toEqual([404, "NotFound"]);
}, 60_000);

it("refuses a 65th unfinished upload until one expires", async () => {
  await using backend = await startTestBackend({ imports });
  const api = importApi(backend);
  for (let i = 0; i < 64; i++) await api.start();
  const response = await fetch(`${backend.url}/api/import/start_upload`, {
    method: "POST",
    headers: { authorization: `Convex ${backend.adminKey}` },
  });
  expect(response.status).toBe(429);
  expect(((await response.json()) as { code: string }).code).toBe("TooManyUploads");
  await eventually(
    async () => {
      const token = await api.start();
      if (token === undefined) await delay(100);
      return token !== undefined;
    },
    "an unfinished upload to expire",
    EXPIRY_WAIT_MS,
  );
}, 60_000);
