/**
 * Result types inferred with TypeScript (describe/): the typed fixture app's derived schema and
 * fallbacks as snapshots (every mapping), the validators of the cases tsc normalises or that are
 * not Convex values, `@types/node` as the app's tsc sees it, a declared `returns` validator
 * winning over inference, a type error elsewhere in the app changing nothing, and `dev`
 * re-deriving off the event loop.
 */
import fs from "node:fs";
import path from "node:path";
import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import type { ValidatorJSON } from "convex/values";
import { describeApp, withInferredReturns, type DescribedApp } from "../../describe/index.ts";
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
        path: "misc:stamped",
        where: "returns.at",
        reason:
          "`Date` is not a Convex value (it has methods: Convex functions cannot return class instances)",
      },
      { path: "misc:tree", where: "returns.children[]", reason: "a recursive type" },
    ]);
  });

  it("says what tsc says: optional fields, literal unions, tuples, @types/node", async () => {
    const returns = inferredReturns(await describeApp(TYPED_APP_DIR));
    expect(returns["misc:profile"]).toEqual(
      object({
        nickname: { fieldType: { type: "string" }, optional: true },
        motto: { fieldType: orNull({ type: "string" }), optional: false },
        rank: { fieldType: orNull({ type: "number" }), optional: false },
      }),
    );
    expect(returns["misc:health"]).toMatchObject(
      object({ note: { fieldType: orNull({ type: "string" }), optional: false } }),
    );
    // `1 | 2 | ... | 6` is a number, `1n | 2n` an int64.
    expect(returns["misc:dice"]).toEqual(
      object({
        face: { fieldType: { type: "number" }, optional: false },
        weight: { fieldType: { type: "bigint" }, optional: false },
      }),
    );
    // `readonly ["low", "high"]`: a list of the union of its elements.
    expect(returns["misc:levels"]).toEqual(
      object({
        levels: {
          fieldType: { type: "array", value: literals("low", "high") },
          optional: false,
        },
      }),
    );
    // `process.env.X ?? "blog"`: @types/node resolves from the fixture, as for its tsc.
    expect(returns["misc:siteName"]).toEqual(
      object({ name: { fieldType: { type: "string" }, optional: false } }),
    );
  });

  it("keeps boolean literals and drops the `undefined`-only fields of normalised unions", async () => {
    const app = await describeApp(TYPED_APP_DIR);
    const returns = inferredReturns(app);
    expect(returns["misc:attempt"]).toEqual({
      type: "union",
      value: [
        object({
          ok: { fieldType: { type: "literal", value: true }, optional: false },
          value: { fieldType: { type: "number" }, optional: false },
        }),
        object({
          ok: { fieldType: { type: "literal", value: false }, optional: false },
          error: { fieldType: { type: "string" }, optional: false },
        }),
      ],
    });
    // tsc's type is `{ found: false; error: string; post?: undefined } | { found: true;
    // post: Doc<"posts">; error?: undefined }`: neither member keeps the other's field.
    const [missing, found] = unionMembers(returns["posts:lookup"]);
    expect(Object.keys(missing ?? {})).toEqual(["found", "error"]);
    expect(Object.keys(found ?? {})).toEqual(["found", "post"]);
    // So a client selects each member's fields without conflicts.
    const { schema } = deriveSchema(app);
    const query = parse(`query ($id: ID!) {
      postsLookup(id: $id) {
        ... on PostsLookupResultFalse { error }
        ... on PostsLookupResultTrue { post { title } }
      }
    }`);
    expect(validate(schema, query)).toEqual([]);
  });
});

type Validator = ValidatorJSON;
type Fields = Extract<Validator, { type: "object" }>["value"];

function inferredReturns(app: DescribedApp): Record<string, Validator | null> {
  return Object.fromEntries(app.functions.map((fn) => [fn.path, fn.returns]));
}

function object(value: Fields): Validator {
  return { type: "object", value };
}

function orNull(validator: Validator): Validator {
  return { type: "union", value: [validator, { type: "null" }] };
}

function literals(...values: string[]): Validator {
  return { type: "union", value: values.map((value) => ({ type: "literal", value })) };
}

/** The fields of each object member of a union validator. */
function unionMembers(validator: Validator | null | undefined): (Fields | undefined)[] {
  if (validator?.type !== "union") return [];
  return validator.value.map((member) => (member.type === "object" ? member.value : undefined));
}

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
      args: {},
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

describe("@types/node", () => {
  it("follows the app's tsconfig `types`, else includes node when it resolves", async () => {
    await using app = tempDir("convex-graphql-infer-");
    const convexDir = path.join(app.path, "convex");
    fs.cpSync(path.join(TYPED_APP_DIR, "convex"), convexDir, { recursive: true });
    // A new worker each time: the process's worker would keep the last good result of a
    // function a type error (`process` unknown) turns `any` (type_errors.ts).
    const siteName = async (): Promise<unknown> =>
      (await inferReturnsOffThread(app.path, { useCache: false, freshWorker: true })).returns[
        "misc:siteName"
      ];
    const named = (fieldType: Validator): Validator =>
      object({ name: { fieldType, optional: false } });
    // No @types/node resolves from a folder in the OS temp folder: `process` is unknown.
    expect(await siteName()).toEqual(named({ type: "any" }));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(app.path, "node_modules"));
    expect(await siteName()).toEqual(named({ type: "string" }));
    // The app's tsconfig says which @types packages its functions see.
    const tsconfig = path.join(convexDir, "tsconfig.json");
    const config = fs.readFileSync(tsconfig, "utf8");
    fs.writeFileSync(
      tsconfig,
      config.replace('"compilerOptions": {', '"compilerOptions": { "types": [],'),
    );
    expect(await siteName()).toEqual(named({ type: "any" }));
  }, 120_000);
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
