import { v } from "convex/values";
import { action, internalQuery, mutation, query } from "./_generated/server.js";
import { internal } from "./_generated/api.js";
import { orderStatus } from "./schema.js";

/** Orders whose dish matches `text` (the last word as a prefix), best matches first. */
export const orders = query({
  args: { text: v.string(), status: v.optional(orderStatus) },
  handler: async (ctx, { text, status }) => {
    return await ctx.db
      .query("orders")
      .withSearchIndex("search_dish", (q) =>
        status === undefined ? q.search("dish", text) : q.search("dish", text).eq("status", status),
      )
      .take(20);
  },
});

/**
 * A tiny deterministic embedding of a dish name: letter trigrams hashed into 16 buckets,
 * normalised. Good enough to find "ramen" near "miso ramen"; a real app would call a model.
 */
function embed(text: string): number[] {
  const vector: number[] = new Array<number>(16).fill(0);
  const padded = ` ${text.toLowerCase()} `;
  for (let i = 0; i + 3 <= padded.length; i++) {
    let hash = 0;
    for (const char of padded.slice(i, i + 3)) hash = (hash * 31 + char.charCodeAt(0)) % 16_381;
    vector[hash % 16] = (vector[hash % 16] ?? 0) + 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0)) || 1;
  return vector.map((x) => x / norm);
}

/** Adds a dish to the menu, with its embedding. */
export const addDish = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    return await ctx.db.insert("dishEmbeddings", { name, embedding: embed(name) });
  },
});

/** The names of dishes by id (for similarDishes). */
export const dishNames = internalQuery({
  args: { ids: v.array(v.id("dishEmbeddings")) },
  handler: async (ctx, { ids }) => {
    const dishes = await Promise.all(ids.map((id) => ctx.db.get(id)));
    return dishes.map((dish) => dish?.name ?? null);
  },
});

/** The dishes most like `text` (vector search, an action as Convex requires), closest first. */
export const similarDishes = action({
  args: { text: v.string(), limit: v.optional(v.number()) },
  handler: async (ctx, { text, limit }) => {
    const found = await ctx.vectorSearch("dishEmbeddings", "by_embedding", {
      vector: embed(text),
      limit: limit ?? 5,
    });
    const names: (string | null)[] = await ctx.runQuery(internal.search.dishNames, {
      ids: found.map((result) => result._id),
    });
    return found.map((result, i) => ({ name: names[i] ?? "(deleted)", score: result._score }));
  },
});
