import { ConvexError, v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { action, internalMutation, query } from "./_generated/server.js";

/** How long after an order is placed its reminder comes due. */
export const REMINDER_DELAY_MS = 15 * 60 * 1000;

/**
 * Tells the supplier that an order is ready and records the answer. The supplier's URL is the
 * deployment's `SUPPLIER_URL` environment variable (`convex-graphql env set SUPPLIER_URL ...`).
 * An action: it calls the outside world, then writes through a mutation.
 */
export const notifyOrderReady = action({
  args: { order: v.id("orders") },
  returns: v.string(),
  handler: async (ctx, { order }): Promise<string> => {
    const supplier = process.env["SUPPLIER_URL"];
    if (supplier === undefined) {
      throw new ConvexError({ code: "NOT_CONFIGURED", message: "SUPPLIER_URL is not set" });
    }
    const response = await fetch(`${supplier}/ready?order=${encodeURIComponent(order)}`, {
      method: "POST",
    });
    if (!response.ok) {
      throw new ConvexError({
        code: "SUPPLIER_UNAVAILABLE",
        message: `The supplier answered ${response.status}`,
      });
    }
    const answer = await response.text();
    await ctx.runMutation(internal.kitchen.recordAnswer, { order, answer, source: "action" });
    return answer;
  },
});

/** Records what the supplier answered about an order (from the action or the webhook). */
export const recordAnswer = internalMutation({
  args: {
    order: v.id("orders"),
    answer: v.string(),
    source: v.union(v.literal("action"), v.literal("webhook")),
  },
  handler: async (ctx, args): Promise<Id<"supplierNotices">> => {
    return await ctx.db.insert("supplierNotices", args);
  },
});

/**
 * The webhook's write: records the answer when `order` (untrusted text from outside) names an
 * existing order, and returns whether it did.
 */
export const recordWebhookAnswer = internalMutation({
  args: { order: v.string(), answer: v.string() },
  returns: v.boolean(),
  handler: async (ctx, { order, answer }): Promise<boolean> => {
    const id = ctx.db.normalizeId("orders", order);
    if (id === null || (await ctx.db.get(id)) === null) return false;
    await ctx.db.insert("supplierNotices", { order: id, answer, source: "webhook" });
    return true;
  },
});

/** The supplier's answers about one order, oldest first. */
export const supplierNotices = query({
  args: { order: v.id("orders") },
  handler: async (ctx, { order }) => {
    return await ctx.db
      .query("supplierNotices")
      .withIndex("by_order", (q) => q.eq("order", order))
      .collect();
  },
});

/** Scheduled by orders:placeOrder: notes an order that is still only placed when it comes due. */
export const remind = internalMutation({
  args: { order: v.id("orders") },
  handler: async (ctx, { order }) => {
    const current = await ctx.db.get("orders", order);
    if (current === null || current.status !== "placed") return null;
    return await ctx.db.insert("reminders", { order, waitedMs: Date.now() - current.createdAt });
  },
});

/** The reminders that came due for an order. */
export const reminders = query({
  args: { order: v.id("orders") },
  handler: async (ctx, { order }) => {
    return await ctx.db
      .query("reminders")
      .withIndex("by_order", (q) => q.eq("order", order))
      .collect();
  },
});

/** Run daily by crons.ts: moves orders served more than a day ago into `archivedOrders`. */
export const archiveServed = internalMutation({
  args: {},
  handler: async (ctx) => {
    const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
    const served = await ctx.db
      .query("orders")
      .withIndex("by_status", (q) => q.eq("status", "served"))
      .collect();
    let archived = 0;
    for (const order of served) {
      if (order.createdAt >= dayAgo) continue;
      await ctx.db.insert("archivedOrders", {
        dish: order.dish,
        table: order.table,
        servedBefore: Date.now(),
      });
      await ctx.db.delete("orders", order._id);
      archived += 1;
    }
    return archived;
  },
});
