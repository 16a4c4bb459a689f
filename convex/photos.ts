import { v } from "convex/values";
import { mutation, query } from "./_generated/server.js";

/** A URL to POST a dish photo to (single use, valid for an hour); the answer is `{storageId}`. */
export const generateUploadUrl = mutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => {
    return await ctx.storage.generateUploadUrl();
  },
});

/** Makes an uploaded file the photo of a dish (replacing and deleting the previous one). */
export const saveDishPhoto = mutation({
  args: { dish: v.string(), storageId: v.id("_storage") },
  returns: v.null(),
  handler: async (ctx, { dish, storageId }) => {
    const previous = await ctx.db
      .query("dishPhotos")
      .withIndex("by_dish", (q) => q.eq("dish", dish))
      .unique();
    if (previous !== null) {
      await ctx.storage.delete(previous.storageId);
      await ctx.db.delete("dishPhotos", previous._id);
    }
    await ctx.db.insert("dishPhotos", { dish, storageId });
    return null;
  },
});

/** The URL of a dish's photo, or null when it has none. */
export const dishPhotoUrl = query({
  args: { dish: v.string() },
  handler: async (ctx, { dish }) => {
    const photo = await ctx.db
      .query("dishPhotos")
      .withIndex("by_dish", (q) => q.eq("dish", dish))
      .unique();
    return photo === null ? null : await ctx.storage.getUrl(photo.storageId);
  },
});
