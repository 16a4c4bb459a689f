/**
 * Failures of the functions an action or an HTTP action awaits, as Convex hands them on. Convex
 * runs `ctx.runMutation` (and runQuery, runAction) from an action as a call of its own and
 * rejects the awaiting promise with an Error whose message is the callee's JsError as displayed,
 * without the request id: the `Uncaught <Name>: <message>` line, then each frame, each line
 * ending in a newline (`crates/common/src/errors.rs` JsError; `redaction.rs`
 * `pretend_to_unredact`; convex-js `performAsyncSyscall` rebuilds a ConvexError with its data).
 * Uncaught in turn, that Error is the action's own failure, so the client reads the Uncaught line
 * twice, the callee's frame, a blank line and the action's awaiting frame, with "Server Error"
 * and the request id once (Convex's own js-integration-tests assert this shape for "action
 * calling mutation throwing ConvexError"). An HTTP action's 500 answer carries the message line
 * in `code` and the whole error in `trace`.
 *
 * The engine shows the first user frame of each error, and at the top level it leaves out the
 * final newline Convex's display ends with; the texts below are otherwise Convex's.
 */
import fs from "node:fs";
import path from "node:path";
import { ConvexError, type Value } from "convex/values";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, type TestBackend } from "../utils/backend.ts";
import { httpClient, serve, syncClient } from "../sync/support/clients.ts";
import { failure, raw } from "./support/fixture.ts";
import { request, STORAGE_APP_DIR } from "./support/storage_app.ts";
import { step } from "../utils/waits.ts";
import { api } from "../fixtures/actions_app/convex/_generated/api.js";

const ACTIONS_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "actions_app");

/**
 * The frame Convex prints for the first `marker` at or after the line holding `after`, in the
 * app's `convex/<file>` (V8 points a throw at its `new`, an awaiting frame at its `await`).
 */
function frameAt(
  appDir: string,
  file: string,
  after: string,
  marker: string,
  options: { fn?: string; async?: boolean } = {},
): string {
  const lines = fs.readFileSync(path.join(appDir, "convex", file), "utf8").split("\n");
  const start = lines.findIndex((line) => line.includes(after));
  const index = lines.findIndex((line, i) => start >= 0 && i >= start && line.includes(marker));
  if (index < 0) throw new Error(`no ${marker} after ${after} in ${file}`);
  const column = (lines[index] ?? "").indexOf(marker) + 1;
  const name = `${options.async === true ? "async " : ""}${options.fn ?? "handler"}`;
  return `    at ${name} (../convex/${file}:${index + 1}:${column})`;
}

const frames = {
  failThrow: frameAt(ACTIONS_APP_DIR, "notes.ts", "const addThenFail", "new Error("),
  refuseThrow: frameAt(ACTIONS_APP_DIR, "notes.ts", "const addThenRefuse", "new ConvexError("),
  crashThrow: frameAt(ACTIONS_APP_DIR, "actions.ts", "const crash", "new Error("),
  relayFailureAwait: frameAt(ACTIONS_APP_DIR, "actions.ts", "const relayFailure", "await", {
    async: true,
  }),
  relayRefusalAwait: frameAt(ACTIONS_APP_DIR, "actions.ts", "const relayRefusal", "await", {
    async: true,
  }),
  relayCrashAwait: frameAt(ACTIONS_APP_DIR, "actions.ts", "const relayCrash", "await", {
    async: true,
  }),
  relayBadArgsAwait: frameAt(ACTIONS_APP_DIR, "actions.ts", "const relayBadArgs", "await", {
    async: true,
  }),
  dockThrow: frameAt(STORAGE_APP_DIR, "deliveries.ts", "const reject", "new Error("),
  dockRefuseThrow: frameAt(STORAGE_APP_DIR, "deliveries.ts", "const reject", "new ConvexError("),
  webhookAwait: frameAt(STORAGE_APP_DIR, "http.ts", '"/webhooks/rejected"', "await", {
    fn: "<anonymous>",
    async: true,
  }),
};

let actionsApp: TestBackend;
let storageApp: TestBackend;

beforeAll(async () => {
  [actionsApp, storageApp] = await Promise.all([
    serve({ dir: ACTIONS_APP_DIR }),
    serve({ dir: STORAGE_APP_DIR }),
  ]);
});

afterAll(async () => {
  await Promise.all([actionsApp[Symbol.asyncDispose](), storageApp[Symbol.asyncDispose]()]);
});

/** The message without its request id, which differs per call. */
function withoutRequestId(message: string): string {
  return message.replace(/\[Request ID: [0-9a-f]{16}\]/, "[Request ID: *]");
}

/** The bodies of the notes the actions app holds. */
async function noteBodies(): Promise<string[]> {
  const notes = await step(httpClient(actionsApp.url).query(api.notes.list, {}), "notes:list");
  return notes.map((note) => note.body);
}

describe("an action awaiting a mutation that throws an Error", () => {
  it("catches the mutation's failure as Convex displays it, without the request id", async () => {
    const caught = await step(
      httpClient(actionsApp.url).action(api.actions.describeCaught, {
        body: "caught-1",
        refuse: false,
      }),
      "describeCaught",
    );
    expect(caught).toEqual({
      convexError: false,
      name: "Error",
      message: `Uncaught Error: no shelf left for caught-1\n${frames.failThrow}\n`,
      data: null,
    });
  });

  it("uncaught, reads the Uncaught line twice, over HTTP, the sync client and /api/action", async () => {
    const expected = (body: string): string =>
      `[Request ID: *] Server Error\nUncaught Error: Uncaught Error: no shelf left for ${body}\n` +
      `${frames.failThrow}\n\n${frames.relayFailureAwait}`;

    const overHttp = await failure(
      httpClient(actionsApp.url).action(api.actions.relayFailure, { body: "relayed-1" }),
    );
    expect(overHttp).not.toBeInstanceOf(ConvexError);
    expect(withoutRequestId(overHttp.message)).toBe(expected("relayed-1"));

    await using client = syncClient(actionsApp.url);
    const overSync = await failure(client.action(api.actions.relayFailure, { body: "relayed-2" }));
    expect(overSync).not.toBeInstanceOf(ConvexError);
    expect(withoutRequestId(overSync.message)).toBe(
      `[CONVEX A(actions:relayFailure)] ${expected("relayed-2")}\n  Called by client`,
    );

    const answer = await raw(actionsApp.url, "/api/action", {
      body: { path: "actions:relayFailure", args: { body: "relayed-3" }, format: "json" },
    });
    expect(answer.json?.["status"]).toBe("error");
    expect(withoutRequestId(answer.json?.["errorMessage"] as string)).toBe(expected("relayed-3"));
    expect(answer.json).not.toHaveProperty("errorData");

    // The mutation's write did not land.
    expect(await noteBodies()).not.toEqual(expect.arrayContaining(["relayed-1"]));
  });
});

describe("an action awaiting a mutation that throws a ConvexError", () => {
  it("catches a ConvexError with its data and the mutation's failure as message", async () => {
    const caught = await step(
      httpClient(actionsApp.url).action(api.actions.describeCaught, {
        body: "caught-2",
        refuse: true,
      }),
      "describeCaught",
    );
    expect(caught).toEqual({
      convexError: true,
      name: "ConvexError",
      message: `Uncaught ConvexError: {"code":"REFUSED","body":"caught-2"}\n${frames.refuseThrow}\n`,
      data: { code: "REFUSED", body: "caught-2" },
    });
  });

  it("uncaught, reaches both clients as a ConvexError with its data", async () => {
    const expected = (body: string): string =>
      `[Request ID: *] Server Error\nUncaught ConvexError: Uncaught ConvexError: ` +
      `{"code":"REFUSED","body":"${body}"}\n${frames.refuseThrow}\n\n${frames.relayRefusalAwait}`;

    const overHttp = await failure(
      httpClient(actionsApp.url).action(api.actions.relayRefusal, { body: "refused-3" }),
    );
    expect(overHttp).toBeInstanceOf(ConvexError);
    expect((overHttp as ConvexError<Value>).data).toEqual({ code: "REFUSED", body: "refused-3" });
    expect(withoutRequestId(overHttp.message)).toBe(expected("refused-3"));

    await using client = syncClient(actionsApp.url);
    const overSync = await failure(client.action(api.actions.relayRefusal, { body: "refused-4" }));
    expect(overSync).toBeInstanceOf(ConvexError);
    expect((overSync as ConvexError<Value>).data).toEqual({ code: "REFUSED", body: "refused-4" });
    expect(withoutRequestId(overSync.message)).toBe(
      `[CONVEX A(actions:relayRefusal)] ${expected("refused-4")}\n  Called by client`,
    );
  });
});

describe("an action awaiting another action's failure or a refusal of its arguments", () => {
  it("reads an action's failure as a mutation's", async () => {
    const error = await failure(httpClient(actionsApp.url).action(api.actions.relayCrash, {}));
    expect(withoutRequestId(error.message)).toBe(
      `[Request ID: *] Server Error\nUncaught Error: Uncaught Error: the supplier is down\n` +
        `${frames.crashThrow}\n\n${frames.relayCrashAwait}`,
    );
  });

  it("says Server Error and the request id once when the callee's arguments were refused", async () => {
    const direct = await raw(actionsApp.url, "/api/mutation", {
      body: { path: "notes:addThenFail", args: { body: 42 }, format: "json" },
    });
    const directMessage = direct.json?.["errorMessage"] as string;
    const refusal = directMessage.replace(/^\[Request ID: [0-9a-f]{16}\] Server Error\n/, "");
    expect(refusal).toMatch(/^ArgumentValidationError: /);

    const error = await failure(httpClient(actionsApp.url).action(api.actions.relayBadArgs, {}));
    expect(withoutRequestId(error.message)).toBe(
      `[Request ID: *] Server Error\nUncaught Error: ${refusal}\n\n${frames.relayBadArgsAwait}`,
    );
  });
});

describe("an HTTP action awaiting a mutation that throws", () => {
  const webhook = (query: string) =>
    request(`${storageApp.siteUrl}/webhooks/rejected${query}`, { method: "POST" });

  it("answers an uncaught Error with Convex's 500: the message line in code, all in trace", async () => {
    const answer = await webhook("");
    expect(answer.status).toBe(500);
    const nested = `Uncaught Error: Uncaught Error: the dock is closed\n${frames.dockThrow}\n`;
    expect(withoutRequestId(answer.json?.["code"] as string)).toBe(
      `[Request ID: *] Server Error: ${nested}`,
    );
    expect(answer.json?.["trace"]).toBe(`${nested}\n${frames.webhookAwait}`);
    expect(answer.json).not.toHaveProperty("data");
  });

  it("answers an uncaught ConvexError with its data", async () => {
    const answer = await webhook("?refuse=1");
    expect(answer.status).toBe(500);
    const nested = `Uncaught ConvexError: Uncaught ConvexError: {"code":"NO_DOCK"}\n${frames.dockRefuseThrow}\n`;
    expect(withoutRequestId(answer.json?.["code"] as string)).toBe(
      `[Request ID: *] Server Error: ${nested}`,
    );
    expect(answer.json?.["trace"]).toBe(`${nested}\n${frames.webhookAwait}`);
    expect(answer.json?.["data"]).toEqual({ code: "NO_DOCK" });
  });

  it("lets the handler catch the failure as an action does", async () => {
    const caughtError = await webhook("?catch=1");
    expect(caughtError.json).toEqual({
      convexError: false,
      message: `Uncaught Error: the dock is closed\n${frames.dockThrow}\n`,
      data: null,
    });
    const caughtRefusal = await webhook("?catch=1&refuse=1");
    expect(caughtRefusal.json).toEqual({
      convexError: true,
      message: `Uncaught ConvexError: {"code":"NO_DOCK"}\n${frames.dockRefuseThrow}\n`,
      data: { code: "NO_DOCK" },
    });
  });
});
