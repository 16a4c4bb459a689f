import { ConvexError, v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { mutation, query } from "./_generated/server.js";

/** The latest 100 messages, oldest first, each with its author's name. */
export const list = query({
  args: {},
  handler: async (ctx) => {
    // Grab the most recent messages.
    const messages = await ctx.db.query("messages").order("desc").take(100);
    const withAuthors = await Promise.all(
      messages.map(async (message) => {
        const user = await ctx.db.get("users", message.user);
        return {
          _id: message._id,
          _creationTime: message._creationTime,
          body: message.body,
          author: user?.name ?? "Anonymous",
        };
      }),
    );
    // Reverse the list so that it's in chronological order.
    return withAuthors.reverse();
  },
});

/**
 * Sends a message as the calling user. Returns the new message's id.
 * Throws `ConvexError({ code: "UNAUTHENTICATED" })` unless the caller is
 * authenticated and has been stored with `users:store`.
 */
export const send = mutation({
  args: { body: v.string() },
  returns: v.id("messages"),
  handler: async (ctx, { body }) => {
    const identity = await ctx.auth.getUserIdentity();
    const user =
      identity === null
        ? null
        : await ctx.db
            .query("users")
            .withIndex("by_token", (q) => q.eq("tokenIdentifier", identity.tokenIdentifier))
            .unique();
    if (user === null) {
      throw new ConvexError({
        code: "UNAUTHENTICATED",
        message: "Sign in (and call users:store) before sending messages",
      });
    }
    return await ctx.db.insert("messages", { body, user: user._id });
  },
});

/** Every message, newest first, one page at a time. */
export const feed = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, { paginationOpts }) => {
    return await ctx.db.query("messages").order("desc").paginate(paginationOpts);
  },
});

/** The messages of one user (one-to-many through the `by_user` index), newest first, by page. */
export const byUser = query({
  args: { user: v.id("users"), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { user, paginationOpts }) => {
    return await ctx.db
      .query("messages")
      .withIndex("by_user", (q) => q.eq("user", user))
      .order("desc")
      .paginate(paginationOpts);
  },
});
