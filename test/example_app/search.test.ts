/**
 * The example app's search, through the gateway as a client sees it: full text search over
 * orders' dishes as a Query field and as a live Subscription field (an insert that matches pushes
 * a new result, one that does not pushes nothing), and "dishes like this one", an action running
 * a vector search over locally computed embeddings.
 */
import { describe, expect, it } from "vitest";
import { data, record, useSharedServers, wsClient } from "../gateway/support/gateway.ts";
import { PLACE_ORDER } from "../gateway/support/example_app.ts";
import { delay } from "../utils/waits.ts";

const servers = useSharedServers();

const SEARCH = `query Search($text: String!) { searchOrders(text: $text) { dish table status } }`;

describe("the example app's search through the gateway", () => {
  it("finds orders by their dish, the last word as a prefix, best matches first", async () => {
    const url = servers.gateway.url;
    for (const [dish, table] of [
      ["tonkotsu ramen", 81],
      ["ramen", 82],
      ["gyoza", 83],
    ] as const) {
      await data(url, PLACE_ORDER, { dish, table });
    }
    const found = await data(url, SEARCH, { text: "ramen" });
    expect(found["searchOrders"]).toEqual([
      { dish: "ramen", table: 82, status: "placed" },
      { dish: "tonkotsu ramen", table: 81, status: "placed" },
    ]);
    const prefix = await data(url, SEARCH, { text: "gyo" });
    expect(prefix["searchOrders"]).toEqual([{ dish: "gyoza", table: 83, status: "placed" }]);
  });

  it("is a live subscription: a matching order pushes a new result, another does not", async () => {
    const url = servers.gateway.url;
    await using client = wsClient(url);
    using watch = record(client, {
      query: `subscription { searchOrders(text: "udon") { dish table } }`,
    });
    expect((await watch.next("the first result")).data).toEqual({ searchOrders: [] });
    await data(url, PLACE_ORDER, { dish: "sushi", table: 84 });
    await delay(300);
    expect(watch.pending).toBe(0);
    await data(url, PLACE_ORDER, { dish: "kitsune udon", table: 85 });
    expect((await watch.next("the matching order")).data).toEqual({
      searchOrders: [{ dish: "kitsune udon", table: 85 }],
    });
  });

  it("finds similar dishes with a vector search in an action", async () => {
    const url = servers.gateway.url;
    for (const name of ["miso ramen", "shoyu ramen", "gyoza", "mochi"]) {
      await data(url, `mutation($name: String!) { searchAddDish(name: $name) }`, { name });
    }
    const similar = await data(
      url,
      `mutation { searchSimilarDishes(text: "ramen", limit: 2) { name score } }`,
    );
    const names = (similar["searchSimilarDishes"] as { name: string; score: number }[]).map(
      (dish) => dish.name,
    );
    expect(names.toSorted()).toEqual(["miso ramen", "shoyu ramen"]);
  });
});
