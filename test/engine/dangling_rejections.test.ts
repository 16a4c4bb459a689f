/**
 * A promise a function rejects and leaves without a handler (`void Promise.reject(...)`, a
 * forgotten `await` on a store that then fails) must not end the backend, as it does not end a
 * Convex deployment: the backend, run as users run it (a child process: vitest traps unhandled
 * rejections in its own workers), logs it and keeps serving.
 */
import fs from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { httpClient } from "../sync/support/clients.ts";
import { eventually, step } from "../utils/waits.ts";
import { startChildBackend } from "./support/child_backend.ts";

const DANGLING = `import { mutation, query } from "./_generated/server.js";

export const rejectLater = mutation({
  args: {},
  handler: async () => {
    void Promise.reject(new Error("nobody waits for me"));
    return null;
  },
});

export const storeNotAwaited = mutation({
  args: {},
  handler: async (ctx) => {
    void ctx.storage.store(new Blob(["late"]));
    return null;
  },
});

export const ping = query({ args: {}, handler: async () => "pong" });
`;

it("logs a rejection no function handled and keeps serving", async () => {
  await using folder = tempDir("convex-graphql-dangling-");
  const storageApp = path.join(REPO_ROOT, "test", "fixtures", "storage_app", "convex");
  fs.cpSync(storageApp, path.join(folder.path, "convex"), { recursive: true });
  fs.writeFileSync(path.join(folder.path, "convex", "dangling.ts"), DANGLING);
  await using backend = await startChildBackend({
    dir: folder.path,
    dataFile: path.join(folder.path, "data.sqlite3"),
  });
  const client = httpClient(backend.url);
  const call = (name: string) =>
    step(client.mutation(makeFunctionReference<"mutation">(`dangling:${name}`), {}), name);
  expect(await call("rejectLater")).toBeNull();
  expect(await call("storeNotAwaited")).toBeNull();
  await eventually(
    () => backend.stderr().includes("storage.store() finished after its mutation had ended"),
    "the late store's rejection to be logged",
  );
  expect(backend.stderr()).toContain(
    "A promise was rejected with no handler (a promise left without await?): nobody waits for me",
  );
  expect(backend.process.exitCode).toBeNull();
  const ping = makeFunctionReference<"query", Record<string, never>, string>("dangling:ping");
  expect(await step(client.query(ping, {}), "ping")).toBe("pong");
}, 60_000);
