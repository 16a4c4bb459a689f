/**
 * Query journals keep a reactive page gapless: a subscription to the first page of a paginated
 * query ends, on every rerun, where its first run ended (the journal holds that end cursor), so a
 * newer document joins the page instead of pushing the last one off it.
 */
import { describe, expect, it } from "vitest";
import { orders, record, serve, syncClient } from "./support/clients.ts";
import { RawSyncSocket } from "./support/raw_socket.ts";
import { step } from "../utils/waits.ts";
import { api } from "../../convex/_generated/api.js";

interface Page {
  page: { dish: string }[];
  isDone: boolean;
  continueCursor: string;
}
const listOrders = api.orders.listOrders;
const firstPage = { paginationOpts: { numItems: 2, cursor: null } };

describe("a paginated subscription", () => {
  it("keeps its page end across reruns, so a new document joins the page", async () => {
    await using backend = await serve();
    await using client = syncClient(backend.url);
    for (const dish of ["a", "b", "c"]) {
      await step(client.mutation(orders.placeOrder, { dish, table: 1 }), `placing ${dish}`);
    }
    using pages = record(client, listOrders, firstPage);
    const first = await pages.value((page) => page.page.length > 0, "the first page");
    expect(first.page.map((order) => order.dish)).toEqual(["c", "b"]);

    // Read-your-writes: once the mutation resolves, the subscription shows the rerun.
    await step(client.mutation(orders.placeOrder, { dish: "d", table: 1 }), "placing d");
    const rerun = pages.latest;
    // Newest first, ending where the first run ended ("b"): nothing falls between pages.
    expect(rerun.page.map((order) => order.dish)).toEqual(["d", "c", "b"]);
    expect(rerun.continueCursor).toBe(first.continueCursor);
  });

  it("sends the journal with the result, and honours one sent back with Add", async () => {
    await using backend = await serve();
    await using client = syncClient(backend.url);
    for (const dish of ["a", "b", "c"]) {
      await step(client.mutation(orders.placeOrder, { dish, table: 1 }), `placing ${dish}`);
    }
    await using socket = await RawSyncSocket.connect(backend.url);
    socket.send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [{ type: "Add", queryId: 0, udfPath: "orders:listOrders", args: [firstPage] }],
    });
    const transition = await socket.expect("Transition");
    const updated = transition.modifications[0] as { journal: string | null; value: Page };
    expect(updated.journal).not.toBeNull();
    expect(updated.value.page.map((order) => order.dish)).toEqual(["c", "b"]);

    // A reconnecting client re-adds the query with its journal: the page still ends at "b".
    await step(client.mutation(orders.placeOrder, { dish: "d", table: 1 }), "placing d");
    await using again = await RawSyncSocket.connect(backend.url);
    again.send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [
        {
          type: "Add",
          queryId: 0,
          udfPath: "orders:listOrders",
          args: [firstPage],
          journal: updated.journal,
        },
      ],
    });
    const resumed = (await again.expect("Transition")).modifications[0] as { value: Page };
    expect(resumed.value.page.map((order) => order.dish)).toEqual(["d", "c", "b"]);
  });
});
