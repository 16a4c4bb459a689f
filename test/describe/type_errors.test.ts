/**
 * A type error in the app while it runs under `dev` (a misspelt field in a helper a query maps
 * its documents with): a fresh inference says which error made the field `JSON`; the process's
 * long-lived inference keeps answering the function's last good result type meanwhile, and says
 * so on the log, until the error is fixed.
 */
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { describeConvexDir } from "../../cli/app_description.ts";
import { inferReturns } from "../../describe/infer/infer_returns.ts";
import { runFixtureCodegen } from "../../cli/convex_codegen.ts";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { TYPED_APP_DIR } from "../gateway/support/typed_app.ts";

const HELPER = `import type { Doc } from "./_generated/dataModel.js";
export function card(post: Doc<"posts">) {
  return { title: post.title, words: post.body.length };
}
`;

const CARDS = `import { query } from "./_generated/server.js";
import { card } from "./cardlib.js";
export const all = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("posts").collect()).map(card),
});
`;

// Args typed by the handler's parameter (no args validator), with types from a helper module.
const FILTERS = `export type Limit = number;
export type Filter = { title: string };
`;

const SEARCH = `import { query } from "./_generated/server.js";
import type { Filter, Limit } from "./filters.js";
export const byTitle = query({
  handler: async (ctx, { title, limit }: { title: string; limit: Limit }) =>
    (await ctx.db.query("posts").collect()).filter((post) => post.title === title).slice(0, limit),
});
export const filtered = query({
  handler: async (ctx, filter: Filter) =>
    (await ctx.db.query("posts").collect()).filter((post) => post.title === filter.title).length,
});
`;

const BY_TITLE_ARGS = {
  type: "object",
  value: {
    title: { fieldType: { type: "string" }, optional: false },
    limit: { fieldType: { type: "number" }, optional: false },
  },
};

const FILTERED_ARGS = {
  type: "object",
  value: { title: { fieldType: { type: "string" }, optional: false } },
};

const TYPED_CARDS = {
  type: "array",
  value: {
    type: "object",
    value: {
      title: { fieldType: { type: "string" }, optional: false },
      words: { fieldType: { type: "number" }, optional: false },
    },
  },
};

it("keeps a function's last good result type while the app has a type error", async () => {
  await using app = tempDir("convex-graphql-type-error-");
  const convexDir = path.join(app.path, "convex");
  fs.cpSync(path.join(TYPED_APP_DIR, "convex"), convexDir, { recursive: true });
  // As in the repository: `@types/node` resolves (the fixture reads `process.env`).
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(app.path, "node_modules"), "dir");
  const helper = path.join(convexDir, "cardlib.ts");
  fs.writeFileSync(helper, HELPER);
  fs.writeFileSync(path.join(convexDir, "cards.ts"), CARDS);
  const filters = path.join(convexDir, "filters.ts");
  fs.writeFileSync(filters, FILTERS);
  fs.writeFileSync(path.join(convexDir, "search.ts"), SEARCH);
  const lines: string[] = [];
  const describe = () => describeConvexDir(app.path, undefined, (line) => lines.push(line));
  type Described = Awaited<ReturnType<typeof describe>>;
  const fnOf = (described: Described, fnPath: string) =>
    described.functions.find((fn) => fn.path === fnPath);
  const resultOf = (described: Described) => fnOf(described, "cards:all")?.returns;
  const argsOf = (described: Described) => ({
    byTitle: fnOf(described, "search:byTitle")?.args,
    filtered: fnOf(described, "search:filtered")?.args,
  });
  const TYPED_ARGS = { byTitle: BY_TITLE_ARGS, filtered: FILTERED_ARGS };

  const typed = await describe();
  expect(resultOf(typed)).toEqual(TYPED_CARDS);
  expect(argsOf(typed)).toEqual(TYPED_ARGS);
  expect(lines).toEqual([]);

  // Mid-edit: a misspelt field in a helper; a renamed type a field (`limit: Limit`) and a whole
  // parameter (`filter: Filter`) are typed with.
  fs.writeFileSync(helper, HELPER.replace("post.body.length", "post.bodyy.length"));
  fs.writeFileSync(filters, FILTERS.replace("Limit", "RowLimit").replace("Filter", "TitleFilter"));
  const fresh = inferReturns(app.path);
  expect(fresh.args["search:byTitle"]).toMatchObject({
    value: { limit: { fieldType: { type: "any" } } },
  });
  expect(fresh.args["search:filtered"]).toBeUndefined();
  const argsErrors = fresh.fallbacks.filter((fallback) => fallback.path.startsWith("search:"));
  expect(argsErrors.map(({ path: fnPath, where, cause }) => ({ fnPath, where, cause }))).toEqual([
    { fnPath: "search:byTitle", where: "args.limit", cause: "type-error" },
    { fnPath: "search:filtered", where: "args", cause: "type-error" },
  ]);
  for (const { reason } of argsErrors)
    expect(reason).toMatch(
      /^a type error: convex\/search\.ts:2:\d+: Module '".\/filters.js"' has no exported member/,
    );
  expect(fresh.returns["cards:all"]).toMatchObject({
    value: { value: { words: { fieldType: { type: "any" } } } },
  });
  const [fellBack] = fresh.fallbacks.filter((fallback) => fallback.path === "cards:all");
  expect(fellBack?.cause).toBe("type-error");
  expect(fellBack?.reason).toMatch(
    /^a type error: convex\/cardlib\.ts:3:\d+: Property 'bodyy' does not exist/,
  );

  const broken = await describe();
  expect(resultOf(broken)).toEqual(TYPED_CARDS);
  expect(argsOf(broken)).toEqual(TYPED_ARGS);
  const searchError = argsErrors[0]?.typeError;
  expect(broken.kept).toEqual([
    { path: "cards:all", part: "returns", typeError: fellBack?.typeError },
    { path: "search:byTitle", part: "args", typeError: searchError },
    { path: "search:filtered", part: "args", typeError: searchError },
  ]);
  expect(broken.fallbacks.filter((fallback) => fallback.cause === "type-error")).toEqual([]);
  expect(lines).toEqual([
    `✖ cards:all: a type error (${fellBack?.typeError}); its last inferred result type still serves`,
    `✖ search:byTitle: a type error (${searchError}); its last inferred argument types still serve`,
    `✖ search:filtered: a type error (${searchError}); its last inferred argument types still serve`,
  ]);

  fs.writeFileSync(helper, HELPER.replace("post.body.length", "post.title.length"));
  fs.writeFileSync(filters, FILTERS.replace("title: string", "title: string; exact?: boolean"));
  const fixed = await describe();
  expect(resultOf(fixed)).toEqual(TYPED_CARDS);
  expect(argsOf(fixed)).toEqual({
    byTitle: BY_TITLE_ARGS,
    filtered: {
      type: "object",
      value: {
        ...FILTERED_ARGS.value,
        exact: { fieldType: { type: "boolean" }, optional: true },
      },
    },
  });
  expect(fixed.kept ?? []).toEqual([]);
}, 180_000);

const CIRCULAR = `import { v } from "convex/values";
import { action, internalQuery } from "./_generated/server.js";
import { internal } from "./_generated/api.js";

export const secret = internalQuery({
  args: { id: v.id("posts") },
  handler: async (ctx, { id }) => await ctx.db.get("posts", id),
});

export const exportPost = action({
  args: { id: v.id("posts") },
  handler: async (ctx, { id }) => {
    const post = await ctx.runQuery(internal.circular.secret, { id });
    return { title: post?.title ?? "" };
  },
});
`;

it("names tsc's circularity error (an action returning what it ran) and its fix", async () => {
  await using app = tempDir("convex-graphql-circular-");
  const convexDir = path.join(app.path, "convex");
  fs.cpSync(path.join(TYPED_APP_DIR, "convex"), convexDir, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(app.path, "node_modules"), "dir");
  fs.writeFileSync(path.join(convexDir, "circular.ts"), CIRCULAR);
  await runFixtureCodegen(app.path);
  const { returns, fallbacks } = inferReturns(app.path);
  expect(returns["circular:exportPost"]).toEqual({ type: "any" });
  const typeError =
    "convex/circular.ts:12:3: 'handler' implicitly has return type 'any' because it does not have a return type annotation and is referenced directly or indirectly in one of its return expressions.";
  expect(fallbacks.filter((fallback) => fallback.path === "circular:exportPost")).toEqual([
    {
      path: "circular:exportPost",
      where: "returns",
      reason: `a type error: ${typeError} (annotate the handler's return type)`,
      cause: "type-error",
      typeError,
    },
  ]);
}, 120_000);
