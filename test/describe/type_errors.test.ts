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
  const lines: string[] = [];
  const describe = () => describeConvexDir(app.path, undefined, (line) => lines.push(line));
  const resultOf = (described: Awaited<ReturnType<typeof describe>>) =>
    described.functions.find((fn) => fn.path === "cards:all")?.returns;

  expect(resultOf(await describe())).toEqual(TYPED_CARDS);
  expect(lines).toEqual([]);

  fs.writeFileSync(helper, HELPER.replace("post.body.length", "post.bodyy.length"));
  const fresh = inferReturns(app.path);
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
  expect(broken.kept).toEqual([{ path: "cards:all", typeError: fellBack?.typeError }]);
  expect(broken.fallbacks.filter((fallback) => fallback.path === "cards:all")).toEqual([]);
  expect(lines).toEqual([
    `✖ cards:all: a type error (${fellBack?.typeError}); its last inferred result type still serves`,
  ]);

  fs.writeFileSync(helper, HELPER.replace("post.body.length", "post.title.length"));
  const fixed = await describe();
  expect(resultOf(fixed)).toEqual(TYPED_CARDS);
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
