import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

/**
 * The life cycle of a restaurant order. Orders only move forward through this
 * list (`placed -> preparing -> ready -> served`); see `orders:updateStatus`.
 */
export const orderStatus = v.union(
  v.literal("placed"),
  v.literal("preparing"),
  v.literal("ready"),
  v.literal("served"),
);

export default defineSchema({
  // The restaurant from the Convex walkthrough.
  orders: defineTable({
    dish: v.string(),
    table: v.number(),
    status: orderStatus,
    notes: v.optional(v.string()),
    createdAt: v.number(),
  })
    .index("by_status", ["status"])
    .index("by_table", ["table"])
    // Full text search over dishes (search:orders), optionally of one status.
    .searchIndex("search_dish", { searchField: "dish", filterFields: ["status"] }),

  // Each dish's name with an embedding of it (search.ts: a tiny local embedding, no external
  // service) for "dishes like this one" (search:similarDishes, a vector search). Not `dishes`:
  // examples/apollo-migration adds that table (and its `Dish` type) in its walk-through.
  dishEmbeddings: defineTable({
    name: v.string(),
    embedding: v.array(v.float64()),
  }).vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 16 }),

  // Chat: one row per authenticated identity, and the messages they send.
  users: defineTable({
    name: v.string(),
    tokenIdentifier: v.string(),
  }).index("by_token", ["tokenIdentifier"]),
  messages: defineTable({
    body: v.string(),
    user: v.id("users"),
  }).index("by_user", ["user"]),

  // What the supplier answered when an order was ready (kitchen:notifyOrderReady, the webhook).
  supplierNotices: defineTable({
    order: v.id("orders"),
    answer: v.string(),
    source: v.union(v.literal("action"), v.literal("webhook")),
  }).index("by_order", ["order"]),

  // Orders still waiting when their reminder (scheduled by orders:placeOrder) came due.
  reminders: defineTable({
    order: v.id("orders"),
    waitedMs: v.number(),
  }).index("by_order", ["order"]),

  // Served orders moved out of `orders` by the daily cron (crons.ts).
  archivedOrders: defineTable({
    dish: v.string(),
    table: v.number(),
    servedBefore: v.number(),
  }),

  // A photo of each dish, in file storage.
  dishPhotos: defineTable({
    dish: v.string(),
    storageId: v.id("_storage"),
  }).index("by_dish", ["dish"]),

  // Named counters, used by tests and benchmarks to provoke write conflicts.
  counters: defineTable({
    name: v.string(),
    value: v.number(),
  }).index("by_name", ["name"]),
});
