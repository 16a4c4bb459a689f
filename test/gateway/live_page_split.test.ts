/**
 * A live page that a read limit cut short (`pageStatus: "SplitRequired"`) is split at Convex's
 * `splitCursor`, as `usePaginatedQuery` splits it, however few items it holds: such a page misses
 * the rows past the limit, and only its halves, each read anew, show them. On the engine fixture
 * app, whose `items:evenReadingAtMost` reads at most `maximumRowsRead` rows a page.
 */
import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { FIXTURE_APP_DIR as ENGINE_APP_DIR, fixture } from "../engine/support/fixture.ts";
import { delay, step } from "../utils/waits.ts";
import {
  record,
  startTestGateway,
  wsClient,
  type TestGateway,
  type WsClient,
} from "./support/gateway.ts";

let backend: TestBackend;
let gateway: TestGateway;
let socket: WsClient;
let client: ConvexHttpClient;

beforeAll(async () => {
  backend = await startTestBackend({ dir: ENGINE_APP_DIR });
  gateway = await startTestGateway(backend.url, { dir: ENGINE_APP_DIR });
  socket = wsClient(gateway.url);
  client = new ConvexHttpClient(backend.url, { logger: false });
}, 120_000);

afterAll(async () => {
  await socket.dispose();
  await gateway.close();
  await backend.close();
});

interface Labels {
  edges: { node: string }[];
}

describe("a live page cut short by a read limit", () => {
  it("is split, so rows past the limit still show, even when it holds one item", async () => {
    const items = [10, 11, 12, 13].map((rank) => ({ group: "s", rank, label: `s${rank}` }));
    const [s10] = await step(client.mutation(fixture.items.insertMany, { items }), "seeding");
    using page = record(socket, {
      query: `subscription { itemsEvenReadingAtMost(group: "s", maximumRowsRead: 5, first: 10) {
        edges { node } } }`,
    });
    const labels = (result: { data?: Record<string, unknown> | null }): string[] =>
      (result.data?.["itemsEvenReadingAtMost"] as Labels).edges.map((edge) => edge.node);
    // Four rows, fewer than five: the page is s10 and s12, whole.
    expect(labels(await page.next("the page"))).toEqual(["s10", "s12"]);
    // Three odd ranks inside the page: reading five rows now stops at rank 11.7, so the page
    // holds s10 alone, says SplitRequired and misses s12; its halves, read anew, hold it again.
    const odd = [10.5, 11.5, 11.7].map((rank) => ({ group: "s", rank, label: `s${rank}` }));
    await step(client.mutation(fixture.items.insertMany, { items: odd }), "inserting odd ranks");
    // A change the page shows, to know the page after the insert when it arrives.
    if (s10 === undefined) throw new Error("no id for s10");
    await step(
      client.mutation(fixture.items.patch, { id: s10, set: { label: "s10!" } }),
      "relabel",
    );
    const shown = await page.value((result) => labels(result).includes("s10!"), "s10! shown");
    expect(labels(shown)).toEqual(["s10!", "s12"]);
  });
});

describe("a live page of paginate()", () => {
  it("is read once: the backend's query journal keeps its end, no pinned copy is read", async () => {
    const items = [1, 2, 3].map((rank) => ({ group: "j", rank, label: `j${rank}` }));
    await step(client.mutation(fixture.items.insertMany, { items }), "seeding");
    const before = backend.engine.executor.stats.queries;
    using page = record(socket, {
      query: `subscription { itemsPage(group: "j", evenOnly: false, order: asc, first: 2) {
        edges { node } } }`,
    });
    const first = await page.next("the page");
    expect((first.data?.["itemsPage"] as { edges: unknown[] }).edges).toHaveLength(2);
    await delay(100); // a pinned copy, had one been read, would have run by now
    expect(backend.engine.executor.stats.queries - before).toBe(1);
  });
});
