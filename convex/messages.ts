import { ConvexError, v } from "convex/values";
import { mutation, query } from "./_generated/server.js";

/** The latest 100 messages, oldest first, each with its author's name. */
export const list = query({
  args: {},
  returns: v.array(
    v.object({
      _id: v.id("messages"),
      _creationTime: v.number(),
      body: v.string(),
      author: v.string(),
    }),
  ),
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
