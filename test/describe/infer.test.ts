/**
 * Result types inferred with TypeScript (describe/): the typed fixture app's derived schema and
 * fallbacks as snapshots (every mapping), a declared `returns` validator winning over inference,
 * a type error elsewhere in the app changing nothing, and `dev` re-deriving off the event loop.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeApp, withInferredReturns } from "../../describe/index.ts";
import { inferReturnsOffThread } from "../../describe/infer/off_thread.ts";
import { deriveSchema, printContract } from "../../gateway/index.ts";
import { appSchemaOfDir } from "../../cli/app_description.ts";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { TYPED_APP_DIR } from "../gateway/support/typed_app.ts";

describe("the typed fixture app (no returns validators)", () => {
  it("derives a typed schema: tables, ids, enums, unions, nested and shared objects, connections", async () => {
    const app = await describeApp(TYPED_APP_DIR);
    expect(app.inferenceError).toBeNull();
    const { schema, relationAmbiguities } = deriveSchema(app);
    await expect(printContract(schema)).toMatchFileSnapshot("./__snapshots__/typed_app.graphql");
    expect(relationAmbiguities).toEqual([
      { table: "authors", paths: ["authors:byId", "authors:get"] },
    ]);
  }, 120_000); // uncached on a clean machine (CI): a cold inference

  it("falls back to JSON only where TypeScript cannot say more, and says why", async () => {
    const app = await describeApp(TYPED_APP_DIR);
    expect(app.fallbacks).toEqual([
      {
        path: "misc:counts",
        where: "returns",
        reason: "a record (`Record<string, T>`): GraphQL has no map type",
      },
      { path: "misc:mixed", where: "returns", reason: 'a union of different kinds (`1 | "one"`)' },
      { path: "misc:opaque", where: "returns", reason: "TypeScript infers `unknown`" },
      { path: "misc:parsed", where: "returns", reason: "TypeScript infers `any` here" },
      {
        path: "misc:shapes",
        where: "returns[]",
        reason: "a union of object types without a common literal discriminant property",
      },
      { path: "misc:tree", where: "returns.children[]", reason: "a recursive type" },
    ]);
  });
});

describe("the example app", () => {
  it("keeps declared returns validators and infers the others", async () => {
    const app = await describeApp(REPO_ROOT);
    const source = Object.fromEntries(app.functions.map((fn) => [fn.path, fn.returnsSource]));
    expect(source["counters:get"]).toBe("validator");
    expect(source["orders:getOrderById"]).toBe("validator");
    expect(source["messages:list"]).toBe("inferred");
    expect(source["orders:listOrders"]).toBe("inferred");
    expect(app.fallbacks).toEqual([]);
  });
});

it("never mixes a declared validator with an inferred type", () => {
  const declared = {
    path: "a:f",
    kind: "query" as const,
    visibility: "public" as const,
    args: { type: "object" as const, value: {} },
    returns: { type: "string" as const },
  };
  const undeclared = { ...declared, path: "a:g", returns: null };
  const merged = withInferredReturns(
    { functions: [declared, undeclared], schema: null, problems: [] },
    {
      returns: { "a:f": { type: "any" }, "a:g": { type: "number" } },
      fallbacks: [{ path: "a:f", where: "returns", reason: "TypeScript infers `any` here" }],
    },
  );
  expect(merged.functions).toEqual([
    { ...declared, returnsSource: "validator" },
    { ...undeclared, returns: { type: "number" }, returnsSource: "inferred" },
  ]);
  // The declared function's inference (and its fallback) plays no part.
  expect(merged.fallbacks).toEqual([]);
});

it("infers through a type error elsewhere in the app", async () => {
  await using app = tempDir("convex-graphql-infer-");
  fs.cpSync(path.join(TYPED_APP_DIR, "convex"), path.join(app.path, "convex"), { recursive: true });
  fs.writeFileSync(
    path.join(app.path, "convex", "broken.ts"),
    [
      'import { query } from "./_generated/server.js";',
      "const wrong: number = 'not a number';",
      "export const label = query({ args: {}, handler: () => ({ label: 'x', wrong }) });",
      "",
    ].join("\n"),
  );
  const inferred = await inferReturnsOffThread(app.path, { useCache: false });
  expect(inferred.returns["posts:stats"]).toMatchObject({ type: "object" });
  expect(inferred.returns["broken:label"]).toEqual({
    type: "object",
    value: {
      label: { fieldType: { type: "string" }, optional: false },
      wrong: { fieldType: { type: "number" }, optional: false },
    },
  });
});

it("infers again after edits in its long-lived worker exactly as a new worker does", async () => {
  await using app = tempDir("convex-graphql-infer-");
  fs.cpSync(path.join(TYPED_APP_DIR, "convex"), path.join(app.path, "convex"), { recursive: true });
  const before = await inferReturnsOffThread(app.path, { useCache: false, freshWorker: true });
  expect(JSON.stringify(before.returns["authors:get"])).not.toContain("nickname");
  // The schema gains a field (authors.ts, unchanged and not parsed again, returns it now) and a
  // module gains a function.
  const schemaFile = path.join(app.path, "convex", "schema.ts");
  const schema = fs.readFileSync(schemaFile, "utf8");
  fs.writeFileSync(
    schemaFile,
    schema.replace("authors: defineTable({", "authors: defineTable({ nickname: v.string(),"),
  );
  fs.appendFileSync(
    path.join(app.path, "convex", "tags.ts"),
    "\nexport const answer = query({ args: {}, handler: () => ({ answer: 42 }) });\n",
  );
  const again = await inferReturnsOffThread(app.path, { useCache: false });
  expect(JSON.stringify(again.returns["authors:get"])).toContain("nickname");
  expect(again.returns["tags:answer"]).toEqual({
    type: "object",
    value: { answer: { fieldType: { type: "number" }, optional: false } },
  });
  const fresh = await inferReturnsOffThread(app.path, { useCache: false, freshWorker: true });
  expect(again).toEqual(fresh);
}, 180_000); // three inferences, two of them cold

it("re-derives in dev without blocking the event loop (the previous schema serves meanwhile)", async () => {
  await using app = tempDir("convex-graphql-infer-");
  fs.cpSync(path.join(TYPED_APP_DIR, "convex"), path.join(app.path, "convex"), { recursive: true });
  const schema = await appSchemaOfDir(app.path, { log: () => {} });
  const before = schema.current();
  // A new function: the cache misses, so the checker runs (seconds of CPU) in its worker.
  fs.writeFileSync(
    path.join(app.path, "convex", "extra.ts"),
    [
      'import { query } from "./_generated/server.js";',
      "export const hours = query({ args: {}, handler: () => ({ opens: 12, closes: 22 }) });",
      "",
    ].join("\n"),
  );
  let maxLagMs = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - 10);
    last = now;
  }, 10);
  const started = performance.now();
  const refreshed = schema.refresh();
  expect(schema.current()).toBe(before);
  expect(await refreshed).toBe(true);
  const tookMs = performance.now() - started;
  clearInterval(ticker);
  schema.close();
  const hours = schema.current().getQueryType()?.getFields()["extraHours"];
  expect(hours?.type.toString()).toBe("ExtraHoursResult!");
  // The refresh took far longer than any pause of the event loop during it.
  expect(maxLagMs).toBeLessThan(Math.max(250, tookMs / 4));
}, 120_000);
