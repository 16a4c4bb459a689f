/**
 * A connection's `after` cursor belongs to that connection's Convex query: the `endCursor` of one
 * connection handed to another, or a made-up cursor, is refused as `BAD_USER_INPUT` with Convex's
 * `InvalidCursor` message, never answered with some other page.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { data, post, startTestGateway, type TestGateway } from "./support/gateway.ts";

let backend: TestBackend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startTestBackend();
  gateway = await startTestGateway(backend.url);
  for (const dish of ["ramen", "soba", "udon"]) {
    await data(gateway.url, `mutation { ordersPlaceOrder(dish: "${dish}", table: 3) }`);
  }
});

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

async function ordersEndCursor(): Promise<string> {
  const page = await data(
    gateway.url,
    `{ ordersListOrders(first: 2) { pageInfo { hasNextPage endCursor } } }`,
  );
  const { pageInfo } = page["ordersListOrders"] as {
    pageInfo: { hasNextPage: boolean; endCursor: string };
  };
  expect(pageInfo.hasNextPage).toBe(true);
  return pageInfo.endCursor;
}

it("refuses another connection's endCursor as BAD_USER_INPUT", async () => {
  const after = await ordersEndCursor();
  const answer = await post(gateway.url, {
    query: `query Feed($after: String) { messagesFeed(first: 2, after: $after) { edges { node { _id } } } }`,
    variables: { after },
  });
  expect(answer.json().errors?.[0]).toEqual(
    expect.objectContaining({
      message:
        "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor is from a different query.",
      extensions: { code: "BAD_USER_INPUT", function: "messages:feed" },
    }),
  );
  // The same cursor still loads the rest of its own connection.
  const rest = await data(
    gateway.url,
    `query Rest($after: String) { ordersListOrders(first: 2, after: $after) { edges { node { dish } } } }`,
    { after },
  );
  expect(rest).toEqual({ ordersListOrders: { edges: [{ node: { dish: "ramen" } }] } });
});

it("refuses a made-up cursor as BAD_USER_INPUT", async () => {
  const answer = await post(gateway.url, {
    query: `{ ordersListOrders(first: 2, after: "garbage") { edges { node { dish } } } }`,
  });
  expect(answer.json().errors?.[0]).toEqual(
    expect.objectContaining({
      message: 'InvalidCursor: Failed to parse cursor "garbage".',
      extensions: { code: "BAD_USER_INPUT", function: "orders:listOrders" },
    }),
  );
});
