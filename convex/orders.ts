import { paginationOptsValidator } from "convex/server";
import { ConvexError, v, type Infer } from "convex/values";
import { internal } from "./_generated/api.js";
import { mutation, query } from "./_generated/server.js";
import { REMINDER_DELAY_MS } from "./kitchen.js";
import schema, { orderStatus } from "./schema.js";

type OrderStatus = Infer<typeof orderStatus>;

/** Position of each status in the order's life cycle; an order never moves to a lower rank. */
const STATUS_RANK: Record<OrderStatus, number> = {
  placed: 0,
  preparing: 1,
  ready: 2,
  served: 3,
};

/** The statuses of orders that are still being worked on. */
const ACTIVE_STATUSES = ["placed", "preparing", "ready"] as const satisfies readonly OrderStatus[];

/**
 * Places a new order for a table. Returns its id. Schedules a reminder (kitchen:remind) that
 * notes the order if it is still only placed 15 minutes later.
 */
export const placeOrder = mutation({
  args: {
    dish: v.string(),
    table: v.number(),
    notes: v.optional(v.string()),
  },
  returns: v.id("orders"),
  handler: async (ctx, args) => {
    const order = await ctx.db.insert("orders", {
      ...args,
      status: "placed",
      createdAt: Date.now(),
    });
    await ctx.scheduler.runAfter(REMINDER_DELAY_MS, internal.kitchen.remind, { order });
    return order;
  },
});

/**
 * Moves an order to a new status.
 *
 * Throws `ConvexError({ code: "NOT_FOUND" })` if the order does not exist and
 * `ConvexError({ code: "INVALID_TRANSITION" })` if the new status comes before
 * the current one (e.g. `served -> placed`). Setting the current status again
 * is a no-op.
 */
export const updateStatus = mutation({
  args: {
    id: v.id("orders"),
    status: orderStatus,
  },
  returns: v.null(),
  handler: async (ctx, { id, status }) => {
    const order = await ctx.db.get("orders", id);
    if (order === null) {
      throw new ConvexError({ code: "NOT_FOUND", message: `Order ${id} not found` });
    }
    if (STATUS_RANK[status] < STATUS_RANK[order.status]) {
      throw new ConvexError({
        code: "INVALID_TRANSITION",
        message: `Cannot move order ${id} from "${order.status}" back to "${status}"`,
      });
    }
    if (status !== order.status) {
      await ctx.db.patch("orders", id, { status });
    }
    return null;
  },
});

/**
 * All orders that are placed, preparing or ready, oldest first.
 *
 * Reads one `by_status` index range per active status (never the whole
 * table), so served orders do not add to the read set.
 */
export const getActiveOrders = query({
  args: {},
  handler: async (ctx) => {
    const ranges = await Promise.all(
      ACTIVE_STATUSES.map((status) =>
        ctx.db
          .query("orders")
          .withIndex("by_status", (q) => q.eq("status", status))
          .collect(),
      ),
    );
    return ranges.flat().sort((a, b) => a._creationTime - b._creationTime);
  },
});

/** All orders of one table, oldest first. Throws a plain `Error` for a table number below 0. */
export const getOrdersByTable = query({
  args: { table: v.number() },
  handler: async (ctx, { table }) => {
    if (table < 0) throw new Error(`There is no table ${table}.`);
    return await ctx.db
      .query("orders")
      .withIndex("by_table", (q) => q.eq("table", table))
      .collect();
  },
});

/**
 * One order, or `null` if there is no order with this id. It declares its result with a
 * `returns` validator (most queries of this app let TypeScript infer theirs).
 */
export const getOrderById = query({
  args: { id: v.id("orders") },
  returns: v.union(schema.doc("orders"), v.null()),
  handler: async (ctx, { id }) => {
    return await ctx.db.get("orders", id);
  },
});

/** Every order, newest first, one page at a time. */
export const listOrders = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, { paginationOpts }) => {
    return await ctx.db.query("orders").order("desc").paginate(paginationOpts);
  },
});
