/**
 * Errors as Convex words them, through the official clients against the fidelity fixture app:
 * the `Uncaught <Name>: <message>` line with the first frame mapped to the user's source, a
 * ConvexError subclass by its own name (its data unchanged), the not-found text with `:default`
 * dropped, the staged-index text, `db.system.get` of a user table's id, and the system errors
 * Convex's runtime raises through its `throwOcc`/`throwOverloaded` syscalls (503 over HTTP, a
 * 1013 close over the sync protocol; a function cannot catch them). Then bad configuration:
 * an `auth.config.ts` that throws is refused by name and the previous version keeps serving.
 */
import fs from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, tempDir, type TestBackend } from "../utils/backend.ts";
import { httpClient, serve, syncClient } from "../sync/support/clients.ts";
import { RawSyncSocket } from "../sync/support/raw_socket.ts";
import { step } from "../utils/waits.ts";

const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "fidelity_app");
type Empty = Record<string, never>;
const fns = {
  plain: makeFunctionReference<"query", Empty, null>("errors:plain"),
  custom: makeFunctionReference<"mutation", { sku: string }, null>("errors:custom"),
  addNote: makeFunctionReference<"mutation", { author: string; body: string }, string>(
    "errors:addNote",
  ),
  systemGet: makeFunctionReference<"query", { id: string }, unknown>("errors:systemGet"),
  staged: makeFunctionReference<"query", Empty, unknown>("errors:staged"),
  occ: makeFunctionReference<"mutation", Empty, null>("errors:occ"),
  overloaded: makeFunctionReference<"query", Empty, string>("errors:overloadedButCaught"),
  byDefault: makeFunctionReference<"query", Empty, string>("errors"),
  missingDefault: makeFunctionReference<"query", Empty, unknown>("nothing_here"),
  secret: makeFunctionReference<"query", Empty, string>("errors:secret"),
};

let backend: TestBackend;

beforeAll(async () => {
  backend = await serve({ dir: APP_DIR });
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
});

/** What a call rejects with. */
async function rejection(promise: Promise<unknown>, what: string): Promise<Error> {
  return step(promise, what).then(
    () => new Error(`${what} succeeded`),
    (error: unknown) => error as Error,
  );
}

/** The message without the request id, which differs per call. */
function withoutRequestId(message: string): string {
  return message.replace(/\[Request ID: [0-9a-f]+\]/, "[Request ID: *]");
}

describe("a thrown error", () => {
  it("reads Uncaught Error with the first frame in the user's source, over HTTP and sync", async () => {
    const expected =
      "[Request ID: *] Server Error\nUncaught Error: the kitchen is closed\n    at handler (../convex/errors.ts:23:11)";
    const overHttp = await rejection(httpClient(backend.url).query(fns.plain, {}), "plain");
    expect(withoutRequestId(overHttp.message)).toBe(expected);
    await using client = syncClient(backend.url);
    const overSync = await rejection(client.query(fns.plain, {}), "plain over sync");
    expect(withoutRequestId(overSync.message)).toBe(
      `[CONVEX Q(errors:plain)] ${expected}\n  Called by client`,
    );
  });

  it("names a ConvexError subclass by its own name and keeps its data", async () => {
    await using client = syncClient(backend.url);
    const error = await rejection(client.mutation(fns.custom, { sku: "ramen" }), "custom");
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as ConvexError<{ sku: string }>).data).toEqual({ sku: "ramen" });
    expect(withoutRequestId(error.message)).toBe(
      '[CONVEX M(errors:custom)] [Request ID: *] Server Error\nUncaught OutOfStock: {"sku":"ramen"}\n    at handler (../convex/errors.ts:30:11)\n  Called by client',
    );
  });
});

describe("Convex's own failure texts", () => {
  it("not found: the module alone for a default export, and internal functions hidden", async () => {
    const http = httpClient(backend.url);
    expect(await step(http.query(fns.byDefault, {}), "the default export")).toBe("default");
    const missing = await rejection(http.query(fns.missingDefault, {}), "a missing default");
    expect(missing.message).toBe(
      "Could not find public function for 'nothing_here'. Did you forget to run `npx convex dev`?",
    );
    const missingExplicit = await rejection(
      http.query(makeFunctionReference<"query">("nothing_here:default"), {}),
      "a missing default, spelt out",
    );
    expect(missingExplicit.message).toBe(missing.message);
    const internal = await rejection(http.query(fns.secret, {}), "an internal query");
    expect(internal.message).toBe(
      "Could not find public function for 'errors:secret'. Did you forget to run `npx convex dev`?",
    );
  });

  it("a staged index cannot be queried", async () => {
    const error = await rejection(httpClient(backend.url).query(fns.staged, {}), "staged");
    expect(withoutRequestId(error.message)).toBe(
      "[Request ID: *] Server Error\nUncaught Error: Index notes.by_body is currently staged and not available to query until it is enabled\n    at handler (../convex/errors.ts:50:8)",
    );
  });

  it("db.system.get of a user table's id throws", async () => {
    const http = httpClient(backend.url);
    const id = await step(http.mutation(fns.addNote, { author: "a", body: "b" }), "addNote");
    const error = await rejection(http.query(fns.systemGet, { id }), "systemGet");
    expect(withoutRequestId(error.message)).toBe(
      // Thrown after an await in convex-js: the user frame is an awaiting one, `async` as V8 marks it.
      "[Request ID: *] Server Error\nUncaught Error: User tables can only be accessed from db.get().\n    at async handler (../convex/errors.ts:41:35)",
    );
  });
});

describe("system errors raised through Convex's syscalls", () => {
  it("throwOcc: 503 OptimisticConcurrencyControlFailure over HTTP", async () => {
    const error = await rejection(httpClient(backend.url).mutation(fns.occ, {}), "occ");
    expect(JSON.parse(error.message)).toEqual({
      code: "OptimisticConcurrencyControlFailure",
      message:
        "Documents read from or written to some table changed while this mutation was being run and on every subsequent retry. See https://docs.convex.dev/error#1",
    });
  });

  it("throwOverloaded: 503 Busy even when the function catches it", async () => {
    const response = await step(
      fetch(`${backend.url}/api/query`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ path: "errors:overloadedButCaught", args: {}, format: "json" }),
      }),
      "overloaded",
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ code: "Busy", message: "I'm a bit busy." });
  });

  it("closes the sync socket with 1013 and the code, so the client retries", async () => {
    await using socket = await RawSyncSocket.connect(backend.url);
    socket.send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [
        { type: "Add", queryId: 0, udfPath: "errors:overloadedButCaught", args: [{}] },
      ],
    });
    expect(await socket.expectClose()).toEqual({ code: 1013, reason: "Busy" });
  });
});

describe("bad configuration", () => {
  it("refuses an auth.config.ts that throws, naming it; the previous version keeps serving", async () => {
    await using folder = tempDir("convex-graphql-badconfig-");
    const convexDir = path.join(folder.path, "convex");
    fs.mkdirSync(convexDir);
    fs.writeFileSync(
      path.join(convexDir, "auth.config.ts"),
      [
        "const domain = process.env.AUTH_DOMAIN;",
        'if (domain === undefined) throw new Error("AUTH_DOMAIN is not set");',
        'export default { providers: [{ domain, applicationID: "app" }] };',
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(convexDir, "hello.ts"),
      'import { queryGeneric } from "convex/server";\nexport const hi = queryGeneric({ args: {}, handler: async () => "hi" });\n',
    );
    const hi = makeFunctionReference<"query", Empty, string>("hello:hi");

    // At the first start without the variable nothing serves.
    await using fresh = await serve({ dir: folder.path });
    expect(fresh.engine.registry.list()).toEqual([]);
    const refused = await rejection(httpClient(fresh.url).query(hi, {}), "hello:hi unloaded");
    expect(refused.message).toContain("Could not find public function for 'hello:hi'");

    await using backend = await serve({ dir: folder.path, env: { AUTH_DOMAIN: "https://a.test" } });
    expect(await step(httpClient(backend.url).query(hi, {}), "hello:hi")).toBe("hi");
    const report = await step(
      backend.engine.setEnvironmentVariables([{ name: "AUTH_DOMAIN", value: null }]),
      "removing AUTH_DOMAIN",
    );
    expect(report.ok).toBe(false);
    // Convex's read of the unset variable fails first (AuthConfigMissingEnvironmentVariable).
    expect(report.problems).toEqual([
      {
        file: "convex/auth.config.ts",
        reason:
          "Environment variable AUTH_DOMAIN is used in auth config file but its value was not set. Set it with `convex-graphql env set AUTH_DOMAIN <value>` (or `npx convex env set`).",
      },
    ]);
    expect(await step(httpClient(backend.url).query(hi, {}), "hello:hi, still")).toBe("hi");
  });
});
