/**
 * The backend's operations endpoints and lifecycle, driven by the official clients:
 * - `/metrics` moves with commits, function executions, live query cache hits and misses, and
 *   sync sessions, and never shows a token or a user's subject (a signed-in client writes);
 * - `/healthz` is 200; `/readyz` is 200 once functions loaded, 503 while none could be (a first
 *   start with a syntax error) and 200 once they are fixed;
 * - `close()` lets an HTTP call in progress finish (a slow action), and the caller gets its result;
 * - loading a data file of 10,000 documents or more reports its progress.
 */
import fs from "node:fs";
import path from "node:path";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startTestBackend, tempDir, type TestBackend } from "../utils/backend.ts";
import { startTestIssuer, type TestIssuer } from "../utils/jwt_issuer.ts";
import { metricValue, scrapeUntil } from "../utils/metrics.ts";
import { FIXTURE_APP_DIR as ENGINE_APP_DIR } from "./support/fixture.ts";
import { STEP_MS, within } from "../utils/waits.ts";
import { api } from "../fixtures/actions_app/convex/_generated/api.js";

const ACTIONS_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "actions_app");
const SUBJECT = "backend-secret-subject-91c2";
const notesList = api.notes.list;
const notesAdd = api.notes.add;
const slowAction = api.actions.slow;

let issuer: TestIssuer;
let backend: TestBackend;

beforeAll(async () => {
  issuer = await within(startTestIssuer(), STEP_MS, "the issuer to start");
  backend = await within(
    startTestBackend({ dir: ACTIONS_APP_DIR, env: { TEST_JWT_ISSUER: issuer.url } }),
    30_000,
    "the backend to start",
  );
});

afterAll(async () => {
  await within(backend?.close() ?? Promise.resolve(), STEP_MS, "the backend to close");
  await within(Promise.resolve(issuer?.[Symbol.asyncDispose]()), STEP_MS, "the issuer to stop");
});

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await within(fetch(url), STEP_MS, `GET ${url}`);
  return { status: response.status, text: await within(response.text(), STEP_MS, "a body") };
}

describe("/metrics", () => {
  it("moves with commits, executions, the query cache and sessions; shows no token", async () => {
    const token = await within(
      issuer.token(SUBJECT, { email: "backend-secret@example.com" }),
      STEP_MS,
      "a token",
    );
    const before = (await get(`${backend.url}/metrics`)).text;
    const commits = metricValue(before, "backend_commits_total");
    const mutations = metricValue(before, "backend_function_executions_total", {
      kind: "mutation",
    });
    const misses = metricValue(before, "backend_query_cache_misses_total");
    const hits = metricValue(before, "backend_query_cache_hits_total");

    const first = new ConvexClient(backend.url, { webSocketConstructor: WebSocket as never });
    const second = new ConvexClient(backend.url, { webSocketConstructor: WebSocket as never });
    first.setAuth(() => Promise.resolve(token));
    try {
      const seen: number[] = [];
      const firstResult = new Promise<void>((resolve) =>
        first.onUpdate(notesList, {}, (notes) => {
          seen.push(notes.length);
          resolve();
        }),
      );
      await within(firstResult, STEP_MS, "the first client's result");
      // The same query for another client: answered from the shared result.
      await within(
        new Promise<void>((resolve) => second.onUpdate(notesList, {}, () => resolve())),
        STEP_MS,
        "the second client's result",
      );
      await within(first.mutation(notesAdd, { body: "secret body" }), STEP_MS, "the mutation");

      const after = await scrapeUntil(
        `${backend.url}/metrics`,
        (text) => metricValue(text, "backend_sync_sessions") === 2,
        "two sync sessions",
      );
      expect(metricValue(after, "backend_commits_total")).toBeGreaterThan(commits);
      expect(
        metricValue(after, "backend_function_executions_total", { kind: "mutation" }),
      ).toBeGreaterThan(mutations);
      expect(metricValue(after, "backend_query_cache_misses_total")).toBeGreaterThan(misses);
      expect(metricValue(after, "backend_query_cache_hits_total")).toBeGreaterThan(hits);
      expect(metricValue(after, "backend_live_queries")).toBeGreaterThan(0);
      for (const text of [before, after]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(SUBJECT);
        expect(text).not.toContain("backend-secret@example.com");
        expect(text).not.toContain("secret body");
      }
    } finally {
      await within(Promise.all([first.close(), second.close()]), STEP_MS, "the clients to close");
    }
  });
});

describe("/healthz and /readyz", () => {
  it("are 200 for a backend that loaded its functions", async () => {
    expect((await get(`${backend.url}/healthz`)).status).toBe(200);
    const ready = await get(`${backend.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ status: "ready" });
  });

  it("/readyz is 503 until the functions load at all, then 200", async () => {
    await using dir = tempDir();
    fs.mkdirSync(path.join(dir.path, "convex"));
    const file = path.join(dir.path, "convex", "things.ts");
    fs.writeFileSync(file, "export const broken = (;\n");
    await using broken = await within(
      startTestBackend({ dir: dir.path }),
      30_000,
      "the backend to start",
    );
    const down = await get(`${broken.url}/readyz`);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toMatchObject({ checks: { functions: { ok: false } } });
    expect((await get(`${broken.url}/healthz`)).status).toBe(200);

    fs.writeFileSync(
      file,
      'import { queryGeneric } from "convex/server";\nexport const one = queryGeneric(async () => 1);\n',
    );
    expect((await within(broken.engine.reload(), 30_000, "the reload")).ok).toBe(true);
    expect((await get(`${broken.url}/readyz`)).status).toBe(200);
  });
});

describe("close()", () => {
  it("lets an HTTP call in progress finish; the caller gets its result", async () => {
    await using own = await within(
      startTestBackend({ dir: ACTIONS_APP_DIR }),
      30_000,
      "the backend to start",
    );
    const client = new ConvexHttpClient(own.url, { logger: false });
    const action = client.action(slowAction, { ms: 400, body: "in flight" });
    // The call has reached the backend once its request is being served.
    await scrapeUntil(
      `${own.url}/metrics`,
      (text) => metricValue(text, "backend_function_executions_total", { kind: "action" }) >= 1,
      "the action to start",
    );
    const closing = own.close();
    expect(await within(action, STEP_MS, "the action's result")).toBe("done");
    await within(closing, STEP_MS, "the backend to close");
  });

  it("lets an action over a sync socket finish before closing it", async () => {
    await using own = await within(
      startTestBackend({ dir: ACTIONS_APP_DIR }),
      30_000,
      "the backend to start",
    );
    const client = new ConvexClient(own.url, { webSocketConstructor: WebSocket as never });
    try {
      const action = client.action(slowAction, { ms: 400, body: "over sync" });
      await scrapeUntil(
        `${own.url}/metrics`,
        (text) => metricValue(text, "backend_function_executions_total", { kind: "action" }) >= 1,
        "the action to start",
      );
      const closing = own.close();
      expect(await within(action, STEP_MS, "the action's result")).toBe("done");
      await within(closing, STEP_MS, "the backend to close");
    } finally {
      await within(client.close(), STEP_MS, "the client to close");
    }
  });
});

describe("loading a large data file", () => {
  it("reports its progress", async () => {
    await using dir = tempDir();
    const dataFile = path.join(dir.path, "data.sqlite3");
    const first = await within(
      startTestBackend({ dir: ENGINE_APP_DIR, dataFile }),
      30_000,
      "the backend to start",
    );
    const client = new ConvexHttpClient(first.url, { logger: false });
    const insertMany = makeFunctionReference<"mutation", { items: unknown[] }, string[]>(
      "items:insertMany",
    );
    // Small batches: each mutation stays far below the 1 s limit on a busy machine.
    for (let batch = 0; batch < 24; batch++) {
      const items = Array.from({ length: 500 }, (_, i) => ({
        group: "g",
        rank: batch * 500 + i,
        label: `item ${i}`,
      }));
      await within(client.mutation(insertMany, { items }), 30_000, "seeding");
    }
    await within(first.close(), STEP_MS, "the first backend to close");

    const lines: string[] = [];
    await using _second = await within(
      startTestBackend({ dir: ENGINE_APP_DIR, dataFile, log: (line) => lines.push(line) }),
      30_000,
      "the backend to load the data file",
    );
    const total = lines.find((line) => line.startsWith("Loading "));
    expect(total).toMatch(/^Loading 120\d\d documents from /);
    const tenths = lines.filter((line) => /^ {2}\d0% \(\d+ of 120\d\d documents\)$/.test(line));
    expect(tenths.map((line) => line.trim().split("%")[0])).toEqual([
      "10",
      "20",
      "30",
      "40",
      "50",
      "60",
      "70",
      "80",
      "90",
    ]);
    expect(lines.some((line) => /^✔ Loaded 120\d\d documents in \d+ ms$/.test(line))).toBe(true);
  }, 120_000);
});
