import { httpRouter } from "convex/server";
import { internal } from "./_generated/api.js";
import { httpAction } from "./_generated/server.js";

const http = httpRouter();

/** The longest answer the webhook records (a notice is a short text, far under Convex's 1 MiB). */
const MAX_ANSWER_LENGTH = 10_000;

/** The body as JSON, or undefined when it is not JSON. */
async function jsonBody(request: Request): Promise<unknown> {
  try {
    return (await request.json()) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The supplier's webhook: `POST /supplier/webhook` with `{"order": "<id>", "answer": "..."}`
 * records the answer, as kitchen:notifyOrderReady does. Anything from outside is checked first:
 * 400 for a body that is not that object, 404 for an id that names no order.
 */
http.route({
  path: "/supplier/webhook",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const body = (await jsonBody(request)) as { order?: unknown; answer?: unknown } | null;
    if (typeof body?.order !== "string" || typeof body.answer !== "string") {
      return new Response("Expected {order, answer} strings", { status: 400 });
    }
    if (body.answer.length > MAX_ANSWER_LENGTH) {
      return new Response(`answer is longer than ${MAX_ANSWER_LENGTH} characters`, {
        status: 400,
      });
    }
    const recorded = await ctx.runMutation(internal.kitchen.recordWebhookAnswer, {
      order: body.order,
      answer: body.answer,
    });
    if (!recorded) return new Response("order does not name an order", { status: 404 });
    return new Response(null, { status: 204 });
  }),
});

export default http;
