/**
 * Convex's public HTTP API as its docs show it, with plain `fetch` (as curl or Python would call
 * it): `POST /api/query|mutation|action` with `"format": "json"` (plain JSON results: int64 as a
 * decimal string, bytes as base64, NaN and infinities as strings), the encoded format the
 * official client sends, the default when `format` is absent, `POST /api/run/{module}/{function}`,
 * and Convex's status codes and bodies for what cannot run.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, type TestBackend } from "../utils/backend.ts";
import { serve } from "../sync/support/clients.ts";
import { FIXTURE_APP_DIR, raw } from "./support/fixture.ts";
import { step } from "../utils/waits.ts";

const ACTIONS_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "actions_app");

let values: TestBackend;
let actions: TestBackend;

beforeAll(async () => {
  [values, actions] = await step(
    Promise.all([serve({ dir: FIXTURE_APP_DIR }), serve({ dir: ACTIONS_APP_DIR })]),
    "the backends to start",
    20_000,
  );
});

afterAll(async () => {
  await values[Symbol.asyncDispose]();
  await actions[Symbol.asyncDispose]();
});

/** A value holding every type the clean format changes, convex-encoded. */
const ENCODED_VALUE = {
  int: { $integer: Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]).toString("base64") },
  negative: { $integer: Buffer.from([0xfe, 255, 255, 255, 255, 255, 255, 255]).toString("base64") },
  bytes: { $bytes: Buffer.from("hi").toString("base64") },
  nan: { $float: Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]).toString("base64") },
  inf: { $float: Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x7f]).toString("base64") },
  negInf: { $float: Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0xff]).toString("base64") },
  plain: { n: 1.5, s: "text", yes: true, none: null, list: [1, "two", { three: 3 }] },
};

const CLEAN_VALUE = {
  int: "3",
  negative: "-2",
  bytes: Buffer.from("hi").toString("base64"),
  nan: "NaN",
  inf: "Infinity",
  negInf: "-Infinity",
  plain: { n: 1.5, s: "text", yes: true, none: null, list: [1, "two", { three: 3 }] },
};

describe('"format": "json"', () => {
  it("answers /api/query in plain JSON, as the docs' curl example shows", async () => {
    const response = await raw(values.url, "/api/query", {
      body: { path: "values:echo", args: { value: ENCODED_VALUE }, format: "json" },
    });
    expect(response.status).toBe(200);
    expect(response.contentType).toMatch(/^application\/json/);
    expect(response.json).toEqual({ status: "success", value: CLEAN_VALUE });
  });

  it("keeps the encoded format for the official client's convex_encoded_json", async () => {
    const response = await raw(values.url, "/api/query", {
      body: { path: "values:echo", args: { value: ENCODED_VALUE }, format: "convex_encoded_json" },
    });
    expect(response.json).toEqual({ status: "success", value: ENCODED_VALUE });
  });

  it("defaults to plain JSON without format, and to encoded for clients older than the parameter", async () => {
    const body = { path: "values:echo", args: { value: { n: ENCODED_VALUE.int } } };
    expect((await raw(values.url, "/api/query", { body })).json?.["value"]).toEqual({ n: "3" });
    const old = await raw(values.url, "/api/query", {
      body,
      headers: { "convex-client": "npm-1.4.0" },
    });
    expect(old.json?.["value"]).toEqual({ n: ENCODED_VALUE.int });
  });

  it("runs /api/mutation and /api/action with plain JSON arguments and results", async () => {
    const inserted = await raw(values.url, "/api/mutation", {
      body: {
        path: "items:insert",
        args: { group: "json", rank: 1, label: "plain" },
        format: "json",
      },
    });
    expect(inserted.json?.["status"]).toBe("success");
    const id = inserted.json?.["value"];
    expect(typeof id).toBe("string");
    const read = await raw(values.url, "/api/query", {
      body: { path: "items:get", args: { id }, format: "json" },
    });
    expect(read.json?.["value"]).toMatchObject({ _id: id, group: "json", rank: 1, label: "plain" });

    const action = await raw(actions.url, "/api/action", {
      body: { path: "actions:callsAction", args: { n: 4 }, format: "json" },
    });
    expect(action.json).toEqual({ status: "success", value: 8 });
  });

  it("exports ConvexError data in the requested format, with HTTP 200 and the log lines", async () => {
    const refused = await raw(actions.url, "/api/action", {
      body: { path: "actions:refuse", args: { code: "NOPE" }, format: "json" },
    });
    expect(refused.status).toBe(200);
    expect(refused.json?.["status"]).toBe("error");
    expect(refused.json?.["errorMessage"]).toMatch(/^\[Request ID: [0-9a-f]+\] Server Error\n/);
    expect(refused.json?.["errorData"]).toEqual({
      code: "NOPE",
      count: "3",
      nested: { ok: false },
    });
    const crashed = await raw(actions.url, "/api/action", {
      body: { path: "actions:crash", args: {}, format: "json" },
    });
    expect(crashed.json).toMatchObject({ status: "error", logLines: ["[WARN] 'about to fail'"] });
    expect(crashed.json?.["errorData"]).toBeUndefined();
  });

  it("refuses an unknown format with 400 BadFormat", async () => {
    const response = await raw(values.url, "/api/query", {
      body: { path: "values:echo", args: { value: 1 }, format: "yaml" },
    });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      code: "BadFormat",
      message: "format param must be one of [`json`]. Got yaml",
    });
  });
});

describe("POST /api/run/{module}/{function}", () => {
  it("runs a query, a mutation and an action by path, in plain JSON by default", async () => {
    const echoed = await raw(values.url, "/api/run/values/echo", {
      body: { args: { value: ENCODED_VALUE } },
    });
    expect(echoed.json).toEqual({ status: "success", value: CLEAN_VALUE });

    const added = await raw(actions.url, "/api/run/actions/addAndList", {
      body: { args: { body: "via run" }, format: "json" },
    });
    expect(added.json?.["status"]).toBe("success");
    expect((added.json?.["value"] as { bodies: string[] }).bodies).toContain("via run");

    const mutation = await raw(actions.url, "/api/run/notes/add", {
      body: { args: { body: "via run mutation" } },
    });
    expect(mutation.json?.["status"]).toBe("success");
    const listed = await raw(actions.url, "/api/run/notes/list", { body: { args: {} } });
    const bodies = (listed.json?.["value"] as { body: string }[]).map((note) => note.body);
    expect(bodies).toEqual(expect.arrayContaining(["via run", "via run mutation"]));

    const encoded = await raw(values.url, "/api/run/values/echo", {
      body: { args: { value: { n: ENCODED_VALUE.int } }, format: "convex_encoded_json" },
    });
    expect(encoded.json?.["value"]).toEqual({ n: ENCODED_VALUE.int });
  });

  it("answers an unknown or internal function as a failed call, and a path without a function with 400", async () => {
    const unknown = await raw(actions.url, "/api/run/notes/missing", { body: { args: {} } });
    expect(unknown.status).toBe(200);
    expect(unknown.json?.["status"]).toBe("error");
    expect(unknown.json?.["errorMessage"]).toContain(
      "Could not find public function for 'notes:missing'",
    );
    const internal = await raw(actions.url, "/api/run/notes/addInternal", {
      body: { args: { body: "x" } },
    });
    expect(internal.json?.["errorMessage"]).toContain(
      "Could not find public function for 'notes:addInternal'",
    );
    for (const route of ["/api/run/notes", "/api/run/", "/api/run/notes/"]) {
      const response = await raw(actions.url, route, { body: { args: {} } });
      expect(response.status, route).toBe(400);
      expect(response.json, route).toEqual({
        code: "MissingIdentifier",
        message: "Path or function name not provided in path, e.g. /api/run/messages/list",
      });
    }
    const get = await raw(actions.url, "/api/run/notes/list", { method: "GET" });
    expect(get.status).toBe(405);
  });
});
