import { v } from "convex/values";
import { internalMutation, mutation, query } from "./_generated/server.js";

/**
 * Adds one to the counter `name` (creating it at 1) and returns the new value.
 * A read-modify-write of one row: concurrent increments of the same counter
 * conflict, and the loser is retried by the backend.
 */
export const increment = mutation({
  args: { name: v.string() },
  returns: v.number(),
  handler: async (ctx, { name }) => {
    const counter = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    if (counter === null) {
      await ctx.db.insert("counters", { name, value: 1 });
      return 1;
    }
    const value = counter.value + 1;
    await ctx.db.patch("counters", counter._id, { value });
    return value;
  },
});

/** The value of the counter `name`, or 0 if it has never been incremented. */
export const get = query({
  args: { name: v.string() },
  returns: v.number(),
  handler: async (ctx, { name }) => {
    const counter = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    return counter?.value ?? 0;
  },
});

/** Sets the counter `name` back to 0, if it exists. Internal: not callable by clients. */
export const reset = internalMutation({
  args: { name: v.string() },
  returns: v.null(),
  handler: async (ctx, { name }) => {
    const counter = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    if (counter !== null) {
      await ctx.db.patch("counters", counter._id, { value: 0 });
    }
    return null;
  },
});
