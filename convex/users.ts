import { ConvexError, v } from "convex/values";
import { mutation, query } from "./_generated/server.js";

/**
 * Stores the calling identity as a user, or updates its name if it changed.
 * Returns the user's id. Throws `ConvexError({ code: "UNAUTHENTICATED" })`
 * when called without authentication.
 */
export const store = mutation({
  args: {},
  returns: v.id("users"),
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) {
      throw new ConvexError({
        code: "UNAUTHENTICATED",
        message: "Called users:store without authentication present",
      });
    }

    // Check if we've already stored this identity before.
    const user = await ctx.db
      .query("users")
      .withIndex("by_token", (q) => q.eq("tokenIdentifier", identity.tokenIdentifier))
      .unique();
    if (user !== null) {
      // If we've seen this identity before but the name has changed, patch the value.
      if (identity.name !== undefined && user.name !== identity.name) {
        await ctx.db.patch("users", user._id, { name: identity.name });
      }
      return user._id;
    }

    // If it's a new identity, create a new `User`.
    return await ctx.db.insert("users", {
      name: identity.name ?? "Anonymous",
      tokenIdentifier: identity.tokenIdentifier,
    });
  },
});

/** The stored user of the calling identity, or `null` if unauthenticated or not stored yet. */
export const current = query({
  args: {},
  handler: async (ctx) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) {
      return null;
    }
    return await ctx.db
      .query("users")
      .withIndex("by_token", (q) => q.eq("tokenIdentifier", identity.tokenIdentifier))
      .unique();
  },
});

/** One user by id, or `null`: what a message's `userDoc` resolves through. */
export const get = query({
  args: { id: v.id("users") },
  handler: async (ctx, { id }) => {
    return await ctx.db.get("users", id);
  },
});
