import { httpRouter } from "convex/server";
import { internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { httpAction } from "./_generated/server.js";

const http = httpRouter();

/**
 * The supplier's webhook: `POST /supplier/webhook` with `{"order": "<id>", "answer": "..."}`
 * records the answer, as kitchen:notifyOrderReady does.
 */
http.route({
  path: "/supplier/webhook",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const body = (await request.json()) as { order?: unknown; answer?: unknown };
    if (typeof body.order !== "string" || typeof body.answer !== "string") {
      return new Response("Expected {order, answer} strings", { status: 400 });
    }
    await ctx.runMutation(internal.kitchen.recordAnswer, {
      order: body.order as Id<"orders">,
      answer: body.answer,
      source: "webhook",
    });
    return new Response(null, { status: 204 });
  }),
});

export default http;
