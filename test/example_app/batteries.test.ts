/**
 * The example app's batteries, reached from GraphQL as the README walks through them: an action
 * that calls the supplier (its URL an environment variable) and records the answer; a dish photo
 * uploaded to file storage and served by URL; the supplier's webhook (an HTTP action). The
 * supplier is a local stub on 127.0.0.1:0.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../engine/index.ts";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { startSupplierStub, type SupplierStub } from "../utils/supplier_stub.ts";
import { convexHttp, missingIdLike } from "../gateway/support/example_app.ts";
import { api } from "../../convex/_generated/api.js";
import {
  data,
  post,
  record,
  startTestGateway,
  wsClient,
  type TestGateway,
} from "../gateway/support/gateway.ts";
import { eventually, STEP_MS, within } from "../utils/waits.ts";

let supplier: SupplierStub;
let backend: TestBackend;
let gateway: TestGateway;

beforeAll(async () => {
  supplier = await startSupplierStub();
  backend = await startTestBackend({ env: { SUPPLIER_URL: supplier.url } });
  gateway = await startTestGateway(backend.url);
});

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
  await supplier?.[Symbol.asyncDispose]();
});

async function placeOrder(dish: string): Promise<string> {
  const placed = await data(
    gateway.url,
    `mutation { ordersPlaceOrder(dish: "${dish}", table: 9) }`,
  );
  return placed["ordersPlaceOrder"] as string;
}

const NOTICES = `query Notices($order: ID!) { kitchenSupplierNotices(order: $order) { answer source } }`;

describe("kitchen:notifyOrderReady (an action) as a GraphQL mutation", () => {
  it("calls the supplier at SUPPLIER_URL and records its answer through a mutation", async () => {
    const order = await placeOrder("ramen");
    const notified = await data(
      gateway.url,
      `mutation Notify($order: ID!) { kitchenNotifyOrderReady(order: $order) }`,
      { order },
    );
    expect(notified).toEqual({ kitchenNotifyOrderReady: `confirmed ${order}` });
    expect(supplier.requests).toContain(`/ready?order=${order}`);
    expect(await data(gateway.url, NOTICES, { order })).toEqual({
      kitchenSupplierNotices: [{ answer: `confirmed ${order}`, source: "action" }],
    });
  });

  it("reports the supplier's failure as the app's ConvexError code, recording nothing", async () => {
    const order = await placeOrder("udon");
    supplier.failWith(503);
    try {
      const answer = await post(gateway.url, {
        query: `mutation Notify($order: ID!) { kitchenNotifyOrderReady(order: $order) }`,
        variables: { order },
      });
      expect(answer.json().errors?.[0]).toEqual(
        expect.objectContaining({
          message: "The supplier answered 503",
          extensions: expect.objectContaining({ code: "SUPPLIER_UNAVAILABLE" }) as unknown,
        }),
      );
    } finally {
      supplier.failWith(null);
    }
    expect(await data(gateway.url, NOTICES, { order })).toEqual({ kitchenSupplierNotices: [] });
  });
});

describe("a dish photo in file storage", () => {
  it("uploads through a GraphQL upload URL, and the live photo URL follows", async () => {
    await using socket = wsClient(gateway.url);
    using photoUrl = record(socket, {
      query: `subscription { photosDishPhotoUrl(dish: "gyoza") }`,
    });
    expect((await photoUrl.next("no photo yet")).data).toEqual({ photosDishPhotoUrl: null });

    const { photosGenerateUploadUrl: uploadUrl } = await data(
      gateway.url,
      `mutation { photosGenerateUploadUrl }`,
    );
    const photo = Buffer.from("\x89PNG\r\n\x1a\n a gyoza photo", "latin1");
    const uploaded = await within(
      fetch(uploadUrl as string, {
        method: "POST",
        headers: { "content-type": "image/png" },
        body: photo,
      }),
      STEP_MS,
      "the upload",
    );
    expect(uploaded.status).toBe(200);
    const { storageId } = (await uploaded.json()) as { storageId: string };
    await data(
      gateway.url,
      `mutation Save($storageId: ID!) { photosSaveDishPhoto(dish: "gyoza", storageId: $storageId) }`,
      { storageId },
    );

    const live = await photoUrl.next("the photo's URL");
    const url = (live.data as { photosDishPhotoUrl: string }).photosDishPhotoUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/storage\//);
    const served = await within(fetch(url), STEP_MS, "the photo");
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await served.arrayBuffer())).toEqual(photo);
  });
});

describe("the supplier's webhook (convex/http.ts)", () => {
  it("records a POSTed answer, and refuses a malformed body with 400", async () => {
    const order = await placeOrder("tempura");
    const hook = `${backend.siteUrl}/supplier/webhook`;
    const accepted = await within(
      fetch(hook, { method: "POST", body: JSON.stringify({ order, answer: "on its way" }) }),
      STEP_MS,
      "the webhook",
    );
    expect(accepted.status).toBe(204);
    expect(await data(gateway.url, NOTICES, { order })).toEqual({
      kitchenSupplierNotices: [{ answer: "on its way", source: "webhook" }],
    });
    // README's nested query: each notice with the order it refers to (a relation).
    const nested = `query ($order: ID!) {
      kitchenSupplierNotices(order: $order) { answer orderDoc { dish status } }
    }`;
    expect(await data(gateway.url, nested, { order })).toEqual({
      kitchenSupplierNotices: [
        { answer: "on its way", orderDoc: { dish: "tempura", status: "placed" } },
      ],
    });
    const refused = await within(
      fetch(hook, { method: "POST", body: JSON.stringify({ order }) }),
      STEP_MS,
      "a malformed webhook",
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe("Expected {order, answer} strings");
  });

  it("answers bad input from outside with 400 or 404, never a 500, and records nothing", async () => {
    const order = await placeOrder("udon");
    const hook = `${backend.siteUrl}/supplier/webhook`;
    const elsewhere = missingIdLike(order); // the right table and format, but no such order
    const cases: [string, number][] = [
      ["{", 400],
      ["null", 400],
      [JSON.stringify({ order, answer: "x".repeat(10_001) }), 400],
      [JSON.stringify({ order: "nonsense", answer: "late" }), 404],
      [JSON.stringify({ order: elsewhere, answer: "late" }), 404],
    ];
    for (const [body, status] of cases) {
      const answer = await within(
        fetch(hook, { method: "POST", body }),
        STEP_MS,
        body.slice(0, 40),
      );
      expect(answer.status, `${body.slice(0, 40)}: ${await answer.text()}`).toBe(status);
    }
    expect(await data(gateway.url, NOTICES, { order })).toEqual({ kitchenSupplierNotices: [] });
  });
});

describe("the reminder and the daily cron, on an injected clock", () => {
  // 2026-12-01 10:00 UTC: the archive cron next runs at 04:00 the next day.
  const START = Date.UTC(2026, 11, 1, 10, 0, 0);

  it("a placed order gets its reminder 15 minutes later; one in preparation does not", async () => {
    const clock = new ManualClock(START);
    await using scheduled = await startTestBackend({ clock });
    await using scheduledGateway = await startTestGateway(scheduled.url);
    const place = async (dish: string): Promise<string> =>
      (
        await data(scheduledGateway.url, `mutation { ordersPlaceOrder(dish: "${dish}", table: 1) }`)
      )["ordersPlaceOrder"] as string;
    const waiting = await place("soba");
    const started = await place("katsu");
    await data(
      scheduledGateway.url,
      `mutation { ordersUpdateStatus(id: "${started}", status: preparing) }`,
    );
    const reminders = (order: string) =>
      data(scheduledGateway.url, `{ kitchenReminders(order: "${order}") { waitedMs } }`);

    clock.advance(14 * 60 * 1000);
    expect(await reminders(waiting)).toEqual({ kitchenReminders: [] });
    clock.advance(60 * 1000);
    await eventually(
      async () => ((await reminders(waiting))["kitchenReminders"] as unknown[]).length === 1,
      "the reminder of the waiting order",
    );
    expect(await reminders(waiting)).toEqual({ kitchenReminders: [{ waitedMs: 15 * 60 * 1000 }] });
    expect(await reminders(started)).toEqual({ kitchenReminders: [] });
  });

  it("archives orders served more than a day ago at 04:00 UTC", async () => {
    const clock = new ManualClock(START);
    await using scheduled = await startTestBackend({ clock });
    const http = convexHttp(scheduled.url);
    const old = await http.mutation(api.orders.placeOrder, { dish: "curry", table: 4 });
    await http.mutation(api.orders.updateStatus, { id: old, status: "served" });
    clock.advance(20 * 60 * 60 * 1000); // 06:00 the next day... not yet: the cron ran at 04:00
    const fresh = await http.mutation(api.orders.placeOrder, { dish: "ramen", table: 4 });
    await http.mutation(api.orders.updateStatus, { id: fresh, status: "served" });
    const byTable = api.orders.getOrdersByTable;
    // At 04:00 on Dec 2 the first order was served 18 hours earlier: both stay.
    expect((await http.query(byTable, { table: 4 })).map((order) => order.dish)).toEqual([
      "curry",
      "ramen",
    ]);
    clock.advance(24 * 60 * 60 * 1000); // past 04:00 on Dec 3
    await eventually(
      async () => (await http.query(byTable, { table: 4 })).length === 1,
      "the archive cron",
    );
    expect((await http.query(byTable, { table: 4 })).map((order) => order.dish)).toEqual(["ramen"]);
  });
});
