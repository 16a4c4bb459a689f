/**
 * Functions written without an args validator (Convex's older docs: `query(async (ctx, { prefix
 * }: { prefix: string }) => ...)`), on the typed fixture app: their GraphQL arguments come from
 * the handler's parameter type, a handler without a parameter takes none, an untyped parameter
 * keeps one `args: JSON`; calls over HTTP reach the function with exactly those arguments, and
 * GraphQL refuses a wrong type before any call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeApp } from "../../describe/index.ts";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { data, post, startTestGateway, type TestGateway } from "./support/gateway.ts";
import { seedBlog, TYPED_APP_DIR } from "./support/typed_app.ts";

let backend: TestBackend;
let gateway: TestGateway;
let seeded: Awaited<ReturnType<typeof seedBlog>>;

beforeAll(async () => {
  backend = await startTestBackend({ dir: TYPED_APP_DIR });
  gateway = await startTestGateway(backend.url, { dir: TYPED_APP_DIR });
  seeded = await seedBlog(backend.url, { authors: 12, posts: 0 });
}, 120_000);

afterAll(async () => {
  await gateway.close();
  await backend.close();
});

describe("arguments typed by the handler's parameter", () => {
  it("describes them as validators, marked inferred, only where none is declared", async () => {
    const app = await describeApp(TYPED_APP_DIR);
    const byPath = new Map(app.functions.map((fn) => [fn.path, fn]));
    expect(byPath.get("authors:named")).toMatchObject({
      argsSource: "inferred",
      args: {
        type: "object",
        value: {
          prefix: { fieldType: { type: "string" }, optional: false },
          limit: { fieldType: { type: "number" }, optional: true },
        },
      },
    });
    expect(byPath.get("authors:setBio")?.args).toEqual({
      type: "object",
      value: {
        id: { fieldType: { type: "id", tableName: "authors" }, optional: false },
        bio: { fieldType: { type: "string" }, optional: false },
      },
    });
    expect(byPath.get("authors:count")).toMatchObject({
      argsSource: "inferred",
      args: { type: "object", value: {} },
    });
    // Untyped: nothing known. Declared: the validator, never the handler's type.
    expect(byPath.get("authors:argNames")?.args).toEqual({ type: "any" });
    expect(byPath.get("authors:argNames")?.argsSource).toBeUndefined();
    expect(byPath.get("authors:get")?.argsSource).toBeUndefined();
  }, 120_000);

  it("calls the function with the GraphQL arguments", async () => {
    const named = await data(gateway.url, `{ authorsNamed(prefix: "author 1") { _id name } }`);
    expect(named["authorsNamed"]).toEqual([
      { _id: seeded.authors[1], name: "author 1" },
      { _id: seeded.authors[10], name: "author 10" },
      { _id: seeded.authors[11], name: "author 11" },
    ]);
    const limited = await data(
      gateway.url,
      `{ authorsNamed(prefix: "author 1", limit: 1) { name } }`,
    );
    expect(limited["authorsNamed"]).toEqual([{ name: "author 1" }]);
    expect(await data(gateway.url, `{ authorsCount }`)).toEqual({ authorsCount: 12 });
    const bio = await data(
      gateway.url,
      `mutation ($id: ID!) { authorsSetBio(id: $id, bio: "writes") { name bio } }`,
      { id: seeded.authors[2] },
    );
    expect(bio).toEqual({ authorsSetBio: { name: "author 2", bio: "writes" } });
    const names = await data(gateway.url, `{ authorsArgNames(args: { b: 1, a: 2 }) }`);
    expect(names).toEqual({ authorsArgNames: ["a", "b"] });
  });

  it("refuses a wrong or missing argument before calling the function", async () => {
    const calls = backend.engine.executor.stats.queries;
    const wrong = await post(gateway.url, { query: `{ authorsNamed(prefix: 5) { name } }` });
    expect(wrong.json().errors?.[0]?.message).toBe("String cannot represent a non string value: 5");
    const missing = await post(gateway.url, { query: `{ authorsNamed { name } }` });
    expect(missing.json().errors?.[0]?.message).toBe(
      'Field "authorsNamed" argument "prefix" of type "String!" is required, but it was not provided.',
    );
    const extra = await post(gateway.url, { query: `{ authorsCount(limit: 1) }` });
    expect(extra.json().errors?.[0]?.message).toBe(
      'Unknown argument "limit" on field "Query.authorsCount".',
    );
    expect(backend.engine.executor.stats.queries).toBe(calls);
  });
});
