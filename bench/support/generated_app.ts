/**
 * A generated Convex app of N functions, written as real apps are (no `returns` validators):
 * 10 tables with ids between them, and modules of 10 functions each cycling through the shapes
 * apps return: a document list, a document or null, a page, a joined object, a count, an insert.
 * `_generated/` is left to `convex codegen` (which the derivation benchmark times anyway).
 */
import fs from "node:fs";
import path from "node:path";

const TABLES = 10;

function schemaSource(): string {
  const tables = Array.from({ length: TABLES }, (_, t) => {
    const parent = t === 0 ? "" : `    parent: v.id("table${t - 1}"),\n`;
    return `  table${t}: defineTable({\n    name: v.string(),\n    score: v.number(),\n    kind: v.union(v.literal("a"), v.literal("b")),\n${parent}    tags: v.optional(v.array(v.string())),\n  }).index("by_name", ["name"]),`;
  });
  return [
    'import { defineSchema, defineTable } from "convex/server";',
    'import { v } from "convex/values";',
    "",
    "export default defineSchema({",
    ...tables,
    "});",
    "",
  ].join("\n");
}

function functionSource(t: number, i: number): string {
  const table = `"table${t}"`;
  switch (i % 6) {
    case 0:
      return `export const list${i} = query({ args: {}, handler: async (ctx) => await ctx.db.query(${table}).take(20) });`;
    case 1:
      return `export const get${i} = query({ args: { id: v.id(${table}) }, handler: async (ctx, { id }) => await ctx.db.get(${table}, id) });`;
    case 2:
      return `export const page${i} = query({ args: { paginationOpts: paginationOptsValidator }, handler: async (ctx, { paginationOpts }) => await ctx.db.query(${table}).order("desc").paginate(paginationOpts) });`;
    case 3:
      return `export const summary${i} = query({ args: { name: v.string() }, handler: async (ctx, { name }) => { const doc = await ctx.db.query(${table}).withIndex("by_name", (q) => q.eq("name", name)).unique(); return doc === null ? null : { name: doc.name, score: doc.score, kind: doc.kind, tags: doc.tags ?? [], at: { created: doc._creationTime, id: doc._id } }; } });`;
    case 4:
      return `export const count${i} = query({ args: {}, handler: async (ctx) => (await ctx.db.query(${table}).collect()).length });`;
    default:
      return `export const add${i} = mutation({ args: { name: v.string(), score: v.number() }, handler: async (ctx, args) => await ctx.db.insert(${table}, { ...args, kind: "a"${t === 0 ? "" : `, parent: (await ctx.db.query("table${t - 1}").first())!._id`} }) });`;
  }
}

/** Writes the app into `dir` (`package.json` and `convex/`), `functions` functions in all. */
export function writeGeneratedApp(dir: string, functions: number): void {
  const convexDir = path.join(dir, "convex");
  fs.mkdirSync(convexDir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "generated-app", private: true, dependencies: { convex: "1.48.0" } }),
  );
  fs.writeFileSync(path.join(convexDir, "schema.ts"), schemaSource());
  // Convex's default functions tsconfig (what `npx convex dev` writes), for `--typecheck enable`.
  fs.writeFileSync(
    path.join(convexDir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        allowJs: true,
        strict: true,
        moduleResolution: "Bundler",
        jsx: "react-jsx",
        skipLibCheck: true,
        allowSyntheticDefaultImports: true,
        target: "ESNext",
        lib: ["ES2021", "dom"],
        forceConsistentCasingInFileNames: true,
        module: "ESNext",
        isolatedModules: true,
        noEmit: true,
      },
      include: ["./**/*"],
      exclude: ["./_generated"],
    }),
  );
  const modules = Math.ceil(functions / 10);
  for (let m = 0; m < modules; m++) {
    const count = Math.min(10, functions - m * 10);
    const lines = [
      'import { paginationOptsValidator } from "convex/server";',
      'import { v } from "convex/values";',
      'import { mutation, query } from "./_generated/server";',
      "",
      ...Array.from({ length: count }, (_, i) => functionSource(m % TABLES, i)),
      "",
    ];
    fs.writeFileSync(path.join(convexDir, `module${m}.ts`), lines.join("\n"));
  }
}
