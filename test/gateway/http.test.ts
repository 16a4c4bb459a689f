/**
 * GraphQL over HTTP with plain `fetch`, against a real gateway in front of a real backend:
 * queries by POST and GET, mutations, every argument kind the example app maps (ID, Float, the
 * `OrderStatus` enum, an optional String), several Convex queries in one operation; and the
 * errors: a `ConvexError`'s `data.code` becomes `extensions.code`, invalid operations are
 * GraphQL-over-HTTP validation errors (400 for `application/graphql-response+json`), an
 * unreachable backend is reported at once, and `dev: false` masks unexpected failures.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { data, get, post, request, startTestGateway, useSharedServers } from "./support/gateway.ts";
import {
  convexHttp,
  dishes,
  missingIdLike,
  ORDER_FIELDS,
  ORDERS_BY_TABLE,
  PLACE_ORDER,
  UPDATE_STATUS,
  type OrderFields,
} from "./support/example_app.ts";
import { api } from "../../convex/_generated/api.js";
import { STEP_MS } from "../utils/waits.ts";

const servers = useSharedServers();

/** Places an order through the gateway; returns its id. */
async function placeOrder(dish: string, table: number, notes?: string): Promise<string> {
  const result = await data(servers.gateway.url, PLACE_ORDER, { dish, table, notes });
  const id = result["ordersPlaceOrder"];
  expect(typeof id).toBe("string");
  return id as string;
}

describe("queries and mutations", () => {
  it("places an order by POST and reads it back by POST and by GET", async () => {
    const id = await placeOrder("ramen", 1);

    const byPost = await post(servers.gateway.url, {
      query: `query One($id: ID!) { ordersGetOrderById(id: $id) { ${ORDER_FIELDS} } }`,
      variables: { id },
    });
    expect(byPost.status).toBe(200);
    expect(byPost.contentType).toMatch(/^application\/graphql-response\+json/);
    expect(byPost.json()).toEqual({
      data: {
        ordersGetOrderById: { _id: id, dish: "ramen", table: 1, status: "placed", notes: null },
      },
    });

    const byGet = await get(servers.gateway.url, {
      query: ORDERS_BY_TABLE,
      variables: { table: 1 },
    });
    expect(byGet.status).toBe(200);
    expect(byGet.json()).toEqual({
      data: {
        ordersGetOrdersByTable: [
          { _id: id, dish: "ramen", table: 1, status: "placed", notes: null },
        ],
      },
    });
  });

  it("refuses a mutation sent by GET (405, GraphQL over HTTP)", async () => {
    const answer = await get(servers.gateway.url, {
      query: 'mutation { ordersPlaceOrder(dish: "by get", table: 2) }',
    });
    expect(answer.status).toBe(405);
    expect(answer.json().errors?.[0]?.message).toBe(
      "Can only perform a mutation operation from a POST request.",
    );
    // Nothing was written.
    const orders = await data(servers.gateway.url, ORDERS_BY_TABLE, { table: 2 });
    expect(orders["ordersGetOrdersByTable"]).toEqual([]);
  });

  it("maps each argument kind: ID, Float, the OrderStatus enum and an optional String", async () => {
    // Optional String given, then omitted, then an explicit null (dropped: Convex has no null there).
    const withNotes = await placeOrder("tea", 3.5, "no sugar");
    const withoutNotes = await placeOrder("coffee", 3.5);
    const nullNotes = await data(servers.gateway.url, PLACE_ORDER, {
      dish: "water",
      table: 3.5,
      notes: null,
    });
    expect(typeof nullNotes["ordersPlaceOrder"]).toBe("string");

    // Float (a non-integer table number survives the round trip).
    const byTable = await data(servers.gateway.url, ORDERS_BY_TABLE, { table: 3.5 });
    const orders = byTable["ordersGetOrdersByTable"] as OrderFields[];
    expect(orders.map(({ dish, table, notes }) => ({ dish, table, notes }))).toEqual([
      { dish: "tea", table: 3.5, notes: "no sugar" },
      { dish: "coffee", table: 3.5, notes: null },
      { dish: "water", table: 3.5, notes: null },
    ]);

    // Enum in, as a variable and as a literal; enum out.
    expect(
      await data(servers.gateway.url, UPDATE_STATUS, { id: withNotes, status: "preparing" }),
    ).toEqual({
      ordersUpdateStatus: null,
    });
    expect(
      await data(
        servers.gateway.url,
        `mutation { ordersUpdateStatus(id: "${withoutNotes}", status: served) }`,
      ),
    ).toEqual({ ordersUpdateStatus: null });
    const after = await data(servers.gateway.url, ORDERS_BY_TABLE, { table: 3.5 });
    expect(
      (after["ordersGetOrdersByTable"] as OrderFields[]).map(({ dish, status }) => [dish, status]),
    ).toEqual([
      ["tea", "preparing"],
      ["coffee", "served"],
      ["water", "placed"],
    ]);

    // An enum value that does not exist is a validation error, not a Convex call.
    const badEnum = await post(servers.gateway.url, {
      query: UPDATE_STATUS,
      variables: { id: withNotes, status: "eaten" },
    });
    expect(badEnum.status).toBe(400);
    expect(badEnum.json().errors?.[0]?.message).toMatch(/OrderStatus/);
  });

  it("reads several Convex queries in one operation", async () => {
    const id = await placeOrder("curry", 4);
    await data(servers.gateway.url, 'mutation { countersIncrement(name: "http-many") }');
    const result = await post(servers.gateway.url, {
      query: `query Many($id: ID!) {
        counter: countersGet(name: "http-many")
        missing: countersGet(name: "http-never")
        table4: ordersGetOrdersByTable(table: 4) { dish }
        one: ordersGetOrderById(id: $id) { dish status }
        active: ordersGetActiveOrders { _id }
      }`,
      variables: { id },
    });
    expect(result.status).toBe(200);
    const body = result.json();
    expect(body.errors).toBeUndefined();
    expect(body.data).toMatchObject({
      counter: 1,
      missing: 0,
      table4: [{ dish: "curry" }],
      one: { dish: "curry", status: "placed" },
    });
    expect((body.data?.["active"] as { _id: string }[]).map((order) => order._id)).toContain(id);
  });
});

describe("a nullable argument that Convex requires", () => {
  // Regression test (this was a bug, found and fixed while writing these tests): Convex's
  // `paginationOpts.cursor` is required but nullable; `after` may be omitted or null.
  it("may be omitted, as the schema allows (the gateway sends null)", async () => {
    const result = await post(servers.gateway.url, {
      query: "{ ordersListOrders(first: 2) { pageInfo { hasNextPage } } }",
    });
    expect(result.json()).toEqual({
      data: { ordersListOrders: { pageInfo: { hasNextPage: expect.any(Boolean) as unknown } } },
    });
  });

  it("works when given explicitly as null", async () => {
    const result = await post(servers.gateway.url, {
      query: "{ ordersListOrders(first: 2, after: null) { pageInfo { hasNextPage } } }",
    });
    expect(result.json()).toEqual({
      data: { ordersListOrders: { pageInfo: { hasNextPage: expect.any(Boolean) as unknown } } },
    });
  });
});

describe("errors", () => {
  it("turns ConvexError({ code: NOT_FOUND }) into extensions.code with extensions.data", async () => {
    const existing = await placeOrder("pie", 5);
    const missing = missingIdLike(existing);
    const result = await post(servers.gateway.url, {
      query: UPDATE_STATUS,
      variables: { id: missing, status: "ready" },
    });
    expect(result.status).toBe(200);
    const body = result.json();
    expect(body.data).toEqual({ ordersUpdateStatus: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]).toMatchObject({
      message: `Order ${missing} not found`,
      path: ["ordersUpdateStatus"],
      extensions: {
        code: "NOT_FOUND",
        data: { code: "NOT_FOUND", message: `Order ${missing} not found` },
      },
    });
  });

  it("turns a backwards move into INVALID_TRANSITION", async () => {
    const id = await placeOrder("cake", 6);
    await data(servers.gateway.url, UPDATE_STATUS, { id, status: "served" });
    const result = await post(servers.gateway.url, {
      query: UPDATE_STATUS,
      variables: { id, status: "placed" },
    });
    const error = result.json().errors?.[0];
    expect(error?.extensions?.code).toBe("INVALID_TRANSITION");
    expect(error?.extensions?.data).toEqual({
      code: "INVALID_TRANSITION",
      message: `Cannot move order ${id} from "served" back to "placed"`,
    });
    expect(error?.message).toBe(`Cannot move order ${id} from "served" back to "placed"`);
  });

  it("reports an argument Convex's validator refuses as BAD_USER_INPUT", async () => {
    const result = await post(servers.gateway.url, {
      query: UPDATE_STATUS,
      variables: { id: "not-an-id", status: "ready" },
    });
    const error = result.json().errors?.[0];
    expect(error?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error?.message).toMatch(/v\.id\("orders"\)/);
  });

  it("answers wrong variable types and unknown fields with validation errors (400)", async () => {
    const wrongType = await post(servers.gateway.url, {
      query: ORDERS_BY_TABLE,
      variables: { table: "seven" },
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.contentType).toMatch(/^application\/graphql-response\+json/);
    expect(wrongType.json().data).toBeUndefined();
    expect(wrongType.json().errors?.[0]?.message).toMatch(/"\$table".*Float/);

    const missingVariable = await post(servers.gateway.url, { query: ORDERS_BY_TABLE });
    expect(missingVariable.status).toBe(400);
    expect(missingVariable.json().errors?.[0]?.message).toMatch(/"\$table".*required/);

    const unknownField = await post(servers.gateway.url, { query: "{ zzz }" });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json()).toEqual({
      errors: [
        {
          message: 'Cannot query field "zzz" on type "Query".',
          locations: [{ line: 1, column: 3 }],
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
        },
      ],
    });

    const unknownArgument = await post(servers.gateway.url, {
      query: "{ ordersGetOrdersByTable(table: 1, color: 2) { _id } }",
    });
    expect(unknownArgument.status).toBe(400);
    expect(unknownArgument.json().errors?.[0]?.message).toMatch(/Unknown argument "color"/);

    const syntax = await post(servers.gateway.url, { query: "{ ordersGetActiveOrders { _id }" });
    expect(syntax.status).toBe(400);
    expect(syntax.json().errors?.[0]?.message).toMatch(/Syntax Error/);

    // The legacy media type gets 200 with the same errors (GraphQL over HTTP, application/json).
    const legacy = await post(
      servers.gateway.url,
      { query: "{ ordersGetEverything { _id } }" },
      { accept: "application/json" },
    );
    expect(legacy.status).toBe(200);
    expect(legacy.contentType).toMatch(/^application\/json/);
    expect(legacy.json().errors?.[0]?.message).toMatch(/ordersGetEverything/);
  });

  it("reports an unreachable backend at once with CONVEX_UNAVAILABLE", async () => {
    // A port that was free a moment ago: nothing listens there any more.
    const closedPort = await new Promise<number>((resolve) => {
      const server = http.createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    await using orphan = await startTestGateway(`http://127.0.0.1:${closedPort}`);
    const started = Date.now();
    const result = await post(orphan.url, { query: 'query { countersGet(name: "x") }' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(STEP_MS / 2);
    const body = result.json();
    expect(body.data).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe("CONVEX_UNAVAILABLE");
    expect(body.errors?.[0]?.message).toMatch(/unreachable/);

    const mutation = await post(orphan.url, { query: 'mutation { countersIncrement(name: "x") }' });
    expect(mutation.json().errors?.[0]?.extensions?.code).toBe("CONVEX_UNAVAILABLE");
  });
});

describe("dev: false", () => {
  it("keeps ConvexError codes but masks details that are not meant for clients", async () => {
    await using production = await startTestGateway(servers.backend.url, { dev: false });
    const existing = await placeOrder("soup", 7);
    const missing = missingIdLike(existing);

    // An expected, coded error still reaches the client in full.
    const coded = await post(production.url, {
      query: UPDATE_STATUS,
      variables: { id: missing, status: "ready" },
    });
    expect(coded.json().errors?.[0]?.extensions).toMatchObject({
      code: "NOT_FOUND",
      data: { code: "NOT_FOUND" },
    });

    // An unexpected failure inside the function (a plain Error for a negative table) is masked:
    // no message, no function path, no stack.
    const query = "{ ordersGetOrdersByTable(table: -1) { dish } }";
    const masked = await post(production.url, { query });
    expect(masked.status).toBe(200);
    expect(masked.json()).toEqual({
      data: null,
      errors: [
        {
          message: "Unexpected error.",
          locations: [{ line: 1, column: 3 }],
          path: ["ordersGetOrdersByTable"],
          extensions: { code: "INTERNAL_SERVER_ERROR" },
        },
      ],
    });
    expect(masked.text).not.toMatch(/orders:getOrdersByTable|no table|Server Error/);

    // The same request in dev mode says what went wrong.
    const unmasked = await post(servers.gateway.url, { query });
    const error = unmasked.json().errors?.[0];
    expect(error?.message).not.toBe("Unexpected error.");
    expect(error?.message).toMatch(/orders:getOrdersByTable/);
  });
});

describe("requests from the official client and the gateway agree", () => {
  it("sees a mutation made straight against the backend", async () => {
    const client = convexHttp(servers.backend.url);
    await client.mutation(api.orders.placeOrder, { dish: "direct", table: 8 });
    const result = await data(servers.gateway.url, ORDERS_BY_TABLE, { table: 8 });
    expect(dishes(result["ordersGetOrdersByTable"])).toEqual(["direct"]);
  });
});

it("answers a request that is not GraphQL with 404", async () => {
  const answer = await request(
    `${servers.gateway.url.replace(/\/graphql$/, "")}/nope`,
    {},
    "GET /nope",
  );
  expect(answer.status).toBe(404);
});
