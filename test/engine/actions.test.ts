/**
 * Actions, through the official clients and raw frames, against the actions fixture app
 * (`test/fixtures/actions_app`, written as Convex's docs write apps: `_generated/` from Convex's
 * own generator, no `returns` validators). The stories: an action runs a mutation and a query and
 * reads its own write; it sees the caller's identity; a `ConvexError` (its own or a mutation's)
 * reaches the client with its data; console output comes back as log lines; timers, the real
 * clock, randomness and Web Crypto work; a `"use node"` module uses `node:crypto` and calls an
 * external HTTP service (a stub on loopback); an action is never retried; the time limit holds;
 * features of later parts fail with a message naming them. Loading: a `"use node"` module that
 * does not bundle, and one that defines a query, are reported while the rest serves.
 */
import { createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { ConvexError, type Value } from "convex/values";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadReport } from "../../engine/index.ts";
import { REPO_ROOT, tempDir, type TestBackend } from "../utils/backend.ts";
import { startTestIssuer, type TestIssuer } from "../utils/jwt_issuer.ts";
import { startSupplierStub, stubPrice, type SupplierStub } from "../utils/supplier_stub.ts";
import { RawSyncSocket } from "../sync/support/raw_socket.ts";
import { httpClient, record, serve, syncClient } from "../sync/support/clients.ts";
import { failure, raw } from "./support/fixture.ts";
import { step } from "../utils/waits.ts";
import { api } from "../fixtures/actions_app/convex/_generated/api.js";

/** The actions fixture app (the folder holding its `convex/`). */
export const ACTIONS_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "actions_app");

const fns = {
  list: api.notes.list,
  addAndList: api.actions.addAndList,
  whoami: api.actions.whoami,
  addAsCaller: api.actions.addAsCaller,
  refuse: api.actions.refuse,
  crash: api.actions.crash,
  relayRefusal: api.actions.relayRefusal,
  catchRefusal: api.actions.catchRefusal,
  callsAction: api.actions.callsAction,
  // Internal: the generated api has no public reference to it, and calling it must fail.
  double: makeFunctionReference<"action", { n: number }, number>("actions:double"),
  runtime: api.actions.runtime,
  slow: api.actions.slow,
  schedules: api.actions.schedules,
  stores: api.actions.stores,
  wrongKind: api.actions.wrongKind,
  requestQuote: api.supplier.requestQuote,
  refuseInNode: api.supplier.refuseInNode,
  quotesFor: api.quotes.forItem,
};

let issuer: TestIssuer;
let supplier: SupplierStub;
let backend: TestBackend;
const logged: string[] = [];

beforeAll(async () => {
  issuer = await step(startTestIssuer(), "the test issuer to start");
  supplier = await step(startSupplierStub(), "the supplier stub to start");
  backend = await serve({
    dir: ACTIONS_APP_DIR,
    env: { TEST_JWT_ISSUER: issuer.url },
    log: (line) => logged.push(line),
  });
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
  await supplier[Symbol.asyncDispose]();
  await issuer[Symbol.asyncDispose]();
});

/** Reads sync frames until every ActionResponse of `requestIds` arrived (in any order). */
async function actionResponses(
  socket: RawSyncSocket,
  requestIds: readonly number[],
): Promise<Map<number, Record<string, unknown>>> {
  const responses = new Map<number, Record<string, unknown>>();
  while (responses.size < requestIds.length) {
    const message = await socket.next("the ActionResponses");
    if (message.type === "ActionResponse" && requestIds.includes(message.requestId)) {
      responses.set(message.requestId, { ...message });
    }
  }
  return responses;
}

describe('loading an app with "use node" modules', () => {
  it("reports the broken Node modules with file and reason, and serves every other module", async () => {
    const report: LoadReport = await step(backend.engine.reload(), "a reload");
    expect(report.ok).toBe(true);
    const problems = Object.fromEntries(report.problems.map((p) => [p.file, p.reason]));
    expect(Object.keys(problems).sort()).toEqual(["convex/broken_node.ts", "convex/node_query.ts"]);
    expect(problems["convex/broken_node.ts"]).toContain(
      'Could not resolve "this-package-does-not-exist"',
    );
    expect(problems["convex/node_query.ts"]).toBe(
      "`listInNode` defined in `node_query.js` is a Query function. Only actions can be defined in Node.js. See https://docs.convex.dev/functions/actions for more details.",
    );
    // Both were logged, at start-up too.
    expect(logged.some((line) => line.includes("convex/broken_node.ts"))).toBe(true);

    const paths = backend.engine.registry.list().map((fn) => `${fn.path} ${fn.kind}`);
    expect(paths).toContain("supplier:requestQuote action");
    expect(paths).toContain("actions:addAndList action");
    expect(paths).toContain("notes:list query");
    expect(paths).toContain("quotes:record mutation");
    expect(paths.some((p) => p.startsWith("node_query:") || p.startsWith("broken_node:"))).toBe(
      false,
    );
  });
});

describe("a module of the default runtime that imports Node.js APIs", () => {
  it('does not compile, with Convex\'s advice to use "use node"; with the directive it serves', async () => {
    await using folder = tempDir("convex-graphql-node-app-");
    const convexDir = path.join(folder.path, "convex");
    fs.mkdirSync(convexDir);
    const source = (directive: string): string =>
      `${directive}import { readFileSync } from "node:fs";\nimport { actionGeneric } from "convex/server";\n` +
      `export const size = actionGeneric(async () => readFileSync(${JSON.stringify(path.join(REPO_ROOT, "package.json"))}).length);\n`;
    fs.writeFileSync(path.join(convexDir, "files.ts"), source(""));
    const lines: string[] = [];
    await using app = await serve({ dir: folder.path, log: (line) => lines.push(line) });
    expect(app.engine.registry.list()).toEqual([]);
    expect(lines.join("\n")).toMatch(
      /convex\/files\.ts:1:\d+: Could not resolve "node:fs"\. It looks like you are using Node APIs from a file without the "use node" directive/,
    );
    fs.writeFileSync(path.join(convexDir, "files.ts"), source('"use node";\n'));
    const report = await step(app.engine.reload(), "a reload");
    expect(report).toMatchObject({ ok: true, functions: 1, problems: [] });
    const size = await step(
      httpClient(app.url).action(
        makeFunctionReference<"action", Record<string, never>, number>("files:size"),
        {},
      ),
      "files:size",
    );
    expect(size).toBe(fs.readFileSync(path.join(REPO_ROOT, "package.json")).length);
  });
});

describe("convex.json node.externalPackages", () => {
  it("loads a listed package from the app's node_modules: a native addon that cannot be bundled works", async () => {
    await using folder = tempDir("convex-graphql-external-");
    fs.mkdirSync(path.join(folder.path, "convex"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(folder.path, "node_modules"));
    fs.writeFileSync(
      path.join(folder.path, "convex", "db.ts"),
      [
        '"use node";',
        'import Database from "better-sqlite3";',
        'import { actionGeneric } from "convex/server";',
        "export const two = actionGeneric(() => {",
        '  const db = new Database(":memory:");',
        '  const row = db.prepare("select 1 + 1 as two").get() as { two: number };',
        "  db.close();",
        "  return row.two;",
        "});",
      ].join("\n"),
    );
    const two = makeFunctionReference<"action", Record<string, never>, number>("db:two");
    {
      // Bundled, the addon's loader cannot find its binary (as on Convex without the setting).
      await using app = await serve({ dir: folder.path });
      const error = await failure(httpClient(app.url).action(two, {}));
      expect(error.message).toContain("Could not locate the bindings file");
    }
    fs.writeFileSync(
      path.join(folder.path, "convex.json"),
      JSON.stringify({ node: { externalPackages: ["better-sqlite3"] } }),
    );
    await using app = await serve({ dir: folder.path });
    expect(await step(httpClient(app.url).action(two, {}), "db:two")).toBe(2);
  });
});

describe("an action over HTTP (ConvexHttpClient)", () => {
  it("runs a mutation and a query, each its own transaction, and reads its own write", async () => {
    const client = httpClient(backend.url);
    const before = (await step(client.query(fns.list, {}), "notes:list")).length;
    const result = await step(client.action(fns.addAndList, { body: "first" }), "the action");
    expect(result.before).toBe(before);
    expect(typeof result.id).toBe("string");
    expect(result.bodies).toContain("first");
    // The mutation committed on its own: the note stays.
    const notes = await step(client.query(fns.list, {}), "notes:list");
    expect(notes.map((note) => note.body)).toContain("first");
  });

  it("delivers a ConvexError's data, thrown by the action", async () => {
    const error = await failure(httpClient(backend.url).action(fns.refuse, { code: "NOPE" }));
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<Value>).data).toEqual({
      code: "NOPE",
      count: 3n,
      nested: { ok: false },
    });
  });

  it("delivers a ConvexError thrown by a mutation the action ran, whose write does not land", async () => {
    const client = httpClient(backend.url);
    const error = await failure(client.action(fns.relayRefusal, { body: "refused-1" }));
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<Value>).data).toEqual({ code: "REFUSED", body: "refused-1" });
    // The action can also catch it, with its data.
    const caught = await step(client.action(fns.catchRefusal, { body: "refused-2" }), "catch");
    expect(caught).toEqual({ code: "REFUSED", body: "refused-2" });
    const bodies = (await step(client.query(fns.list, {}), "notes:list")).map((n) => n.body);
    expect(bodies).not.toContain("refused-1");
    expect(bodies).not.toContain("refused-2");
  });

  it("answers /api/action with Convex's shapes: error message, errorData and log lines", async () => {
    const crashed = await raw(backend.url, "/api/action", {
      body: { path: "actions:crash", args: {}, format: "convex_encoded_json" },
    });
    expect(crashed.status).toBe(200);
    expect(crashed.json?.["status"]).toBe("error");
    expect(crashed.json?.["errorMessage"]).toMatch(
      /^\[Request ID: [0-9a-f]+\] Server Error\nUncaught Error: the supplier is down/,
    );
    expect(crashed.json?.["logLines"]).toEqual(["[WARN] 'about to fail'"]);

    const refused = await raw(backend.url, "/api/action", {
      body: { path: "actions:refuse", args: { code: "X" }, format: "convex_encoded_json" },
    });
    expect(refused.json?.["status"]).toBe("error");
    expect(refused.json?.["errorData"]).toEqual({
      code: "X",
      count: { $integer: "AwAAAAAAAAA=" },
      nested: { ok: false },
    });
  });

  it("refuses an action called as a mutation, an internal action, and a kind mismatch inside", async () => {
    const asMutation = await raw(backend.url, "/api/mutation", {
      body: { path: "actions:crash", args: {}, format: "convex_encoded_json" },
    });
    expect(asMutation.json?.["errorMessage"]).toBe(
      "Trying to execute actions:crash as Mutation, but it is defined as Action.",
    );
    const client = httpClient(backend.url);
    const internal = await failure(client.action(fns.double, { n: 1 }));
    expect(internal.message).toContain("Could not find public function for 'actions:double'");
    const inside = await failure(client.action(fns.wrongKind, {}));
    expect(inside.message).toContain(
      "Trying to execute notes:addInternal as Query, but it is defined as Mutation.",
    );
  });

  it("calls another action with ctx.runAction", async () => {
    expect(
      await step(httpClient(backend.url).action(fns.callsAction, { n: 21 }), "runAction"),
    ).toBe(42);
  });

  it("may use timers, the real clock, randomness and Web Crypto", async () => {
    const result = await step(httpClient(backend.url).action(fns.runtime, {}), "the action");
    expect(result.ticks).toBe(3);
    expect(result.elapsed).toBeGreaterThanOrEqual(4);
    expect(result.randoms[0]).not.toBe(result.randoms[1]);
    expect(result.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(result.sha256).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("reaches ctx.scheduler and ctx.storage (test/engine/scheduler.test.ts, storage.test.ts)", async () => {
    const client = httpClient(backend.url);
    await step(client.action(fns.schedules, {}), "an action scheduling a mutation");
    const url = await step(client.action(fns.stores, {}), "generateUploadUrl");
    expect(url.startsWith(`${backend.url}/api/storage/upload?token=`)).toBe(true);
  });
});

describe('a "use node" action calling an external service', () => {
  it("uses node:crypto and fetch, records the answer with a mutation, and logs", async () => {
    const item = "basil";
    const response = await raw(backend.url, "/api/action", {
      body: { path: "supplier:requestQuote", args: { url: supplier.url, item } },
    });
    expect(response.json?.["status"]).toBe("success");
    const value = response.json?.["value"] as Record<string, unknown>;
    const price = stubPrice(item);
    const signature = createHmac("sha256", "fixture-secret")
      .update(`${item}:${price}`)
      .digest("hex");
    expect(value).toEqual({
      price,
      signature,
      node: process.versions.node,
      buffer: Buffer.from(item).toString("base64"),
    });
    expect(response.json?.["logLines"]).toEqual([`[LOG] 'quote' 'basil' ${price}`]);
    expect(supplier.requests).toContain("/price?item=basil");
    const quotes = await step(httpClient(backend.url).query(fns.quotesFor, { item }), "quotes");
    expect(quotes.map(({ price: p, signature: s }) => ({ p, s }))).toEqual([
      { p: price, s: signature },
    ]);
  });

  it("delivers a ConvexError thrown in the Node.js runtime with its data", async () => {
    const error = await failure(httpClient(backend.url).action(fns.refuseInNode, { item: "dill" }));
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<Value>).data).toEqual({ code: "OUT_OF_STOCK", item: "dill" });
  });

  it("is never retried: a failing supplier is called once and the failure reported", async () => {
    const item = "thyme";
    supplier.failWith(503);
    try {
      const error = await failure(
        httpClient(backend.url).action(fns.requestQuote, { url: supplier.url, item }),
      );
      expect(error.message).toContain("Uncaught Error: supplier answered 503");
    } finally {
      supplier.failWith(null);
    }
    expect(supplier.requests.filter((r) => r === "/price?item=thyme")).toHaveLength(1);
    expect(await step(httpClient(backend.url).query(fns.quotesFor, { item }), "quotes")).toEqual(
      [],
    );
  });
});

describe("an action over the sync protocol", () => {
  it("answers Action with ActionResponse, its result and its log lines (raw frames)", async () => {
    await using socket = await RawSyncSocket.connect(backend.url);
    socket.send({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [] });
    socket.send({
      type: "Action",
      requestId: 0,
      udfPath: "actions:addAndList",
      args: [{ body: "raw" }],
    });
    socket.send({ type: "Action", requestId: 1, udfPath: "actions:crash", args: [{}] });
    // Actions run concurrently: the answers may come in either order.
    const responses = await actionResponses(socket, [0, 1]);
    const ok = responses.get(0) ?? {};
    expect(ok["success"]).toBe(true);
    expect((ok["result"] as { bodies: string[] }).bodies).toContain("raw");
    expect(ok["logLines"]).toEqual(["[LOG] 'added' 'raw'"]);
    const failed = responses.get(1) ?? {};
    expect(failed["success"]).toBe(false);
    expect(failed["result"]).toMatch(/Server Error\nUncaught Error: the supplier is down/);
    expect(failed["logLines"]).toEqual(["[WARN] 'about to fail'"]);
    expect(failed["errorData"]).toBeUndefined();
  });

  it("resolves ConvexClient.action, and a subscription sees the action's write", async () => {
    await using client = syncClient(backend.url);
    using notes = record(client, fns.list, {});
    await notes.until(() => notes.values.length > 0, "the first notes");
    const result = await step(client.action(fns.addAndList, { body: "over sync" }), "the action");
    expect(result.bodies).toContain("over sync");
    await notes.value((value) => value.some((n) => n.body === "over sync"), "the new note");

    const error = await failure(client.action(fns.refuse, { code: "SYNC" }));
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<Value>).data).toEqual({
      code: "SYNC",
      count: 3n,
      nested: { ok: false },
    });
  });

  it("runs with the caller's identity, which the mutations it runs see too", async () => {
    await using client = syncClient(backend.url);
    const token = await issuer.token("alice", { name: "Alice" });
    await step(
      new Promise<boolean>((resolve) => client.setAuth(() => Promise.resolve(token), resolve)),
      "setAuth's onChange",
    );
    expect(await step(client.action(fns.whoami, {}), "whoami")).toBe("alice");
    const id = await step(client.action(fns.addAsCaller, { body: "by alice" }), "addAsCaller");
    const notes = await step(httpClient(backend.url).query(fns.list, {}), "notes:list");
    expect(notes.find((note) => note._id === id)?.author).toBe("alice");
    // Anonymous over HTTP.
    expect(await step(httpClient(backend.url).action(fns.whoami, {}), "whoami")).toBeNull();
  });
});

describe("the action time limit", () => {
  it("fails an action that runs past it; under the limit the same action completes", async () => {
    await using short = await serve({ dir: ACTIONS_APP_DIR, actionTimeoutMs: 200 });
    const client = httpClient(short.url);
    // The action would wait a minute; the limit answers well within the step bound.
    const error = await failure(client.action(fns.slow, { ms: 60_000, body: "too late" }));
    expect(error.message).toContain("Function execution timed out (maximum duration: 0.2s)");
    // Under the limit it completes.
    expect(await step(client.action(fns.slow, { ms: 1, body: "in time" }), "slow")).toBe("done");
    const bodies = (await step(client.query(fns.list, {}), "notes:list")).map((n) => n.body);
    expect(bodies).toEqual(["in time"]);
  });
});
