/**
 * `--federation`: the gateway as an Apollo Federation v2 subgraph. Its `_service { sdl }` composes
 * (`@theguild/federation-composition`) with a second subgraph, a Yoga server on port 0 that adds a
 * `review` to `Order` and a `featuredOrder` query; a real federation gateway (Hive Gateway's
 * runtime, on loopback) then answers one query across both, resolving the order's Convex fields
 * through `_entities`. `_entities` answers an unknown type and an unknown id as the spec says.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import { composeServices } from "@theguild/federation-composition";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { appSchemaOf, data, post, startTestGateway, type TestGateway } from "./support/gateway.ts";
import { missingIdLike, PLACE_ORDER } from "./support/example_app.ts";
import { federated, findEntities } from "../../gateway/federation/subgraph.ts";

/** The reviews subgraph's SDL as it declares itself to composition. */
const REVIEWS_SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Order @key(fields: "_id") { _id: ID! review: String }
type Query { featuredOrder: Order }
`;

let backend: TestBackend;
let gateway: TestGateway;
let reviews: http.Server;
let router: http.Server;
let routerUrl: string;
let featured = "";

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

async function close(server: http.Server | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A small hand-written subgraph: `_service`, `_entities`, and one root query. */
function reviewsSubgraph(): http.Server {
  const schema = createSchema({
    typeDefs: `scalar _Any
      type _Service { sdl: String }
      union _Entity = Order
      type Order { _id: ID! review: String }
      type Query { featuredOrder: Order, _service: _Service!, _entities(representations: [_Any!]!): [_Entity]! }`,
    resolvers: {
      Query: {
        featuredOrder: () => ({ _id: featured, review: "crisp" }),
        _service: () => ({ sdl: REVIEWS_SDL }),
        _entities: (_root: unknown, args: { representations: { _id: string }[] }) =>
          args.representations.map((rep) => ({
            __typename: "Order",
            _id: rep._id,
            review: "crisp",
          })),
      },
      _Entity: { __resolveType: () => "Order" },
    },
  });
  const yoga = createYoga({ schema });
  return http.createServer((req, res) => void yoga.requestListener(req, res));
}

beforeAll(async () => {
  backend = await startTestBackend();
  const app = await appSchemaOf();
  gateway = await startTestGateway(backend.url, { schema: federated(() => app.current()) });
  reviews = reviewsSubgraph();
  const reviewsUrl = await listen(reviews);
  featured = (await data(gateway.url, PLACE_ORDER, { dish: "tonkatsu", table: 80 }))[
    "ordersPlaceOrder"
  ] as string;

  const convexSdl = (await data(gateway.url, "{ _service { sdl } }"))["_service"] as {
    sdl: string;
  };
  const composed = composeServices([
    { name: "convex", typeDefs: parse(convexSdl.sdl), url: gateway.url },
    { name: "reviews", typeDefs: parse(REVIEWS_SDL), url: reviewsUrl },
  ]);
  if (composed.errors !== undefined) {
    throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join("; ")}`);
  }
  const runtime = createGatewayRuntime({ supergraph: composed.supergraphSdl, logging: false });
  router = http.createServer((req, res) => void runtime.requestListener(req, res));
  routerUrl = await listen(router);
}, 60_000);

afterAll(async () => {
  await close(router);
  await close(reviews);
  await gateway?.close();
  await backend?.close();
});

describe("the gateway as a federation subgraph", () => {
  it("keys table types that have an id-getter", async () => {
    const { sdl } = (await data(gateway.url, "{ _service { sdl } }"))["_service"] as {
      sdl: string;
    };
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.3"');
    expect(sdl).toMatch(/type Order @key\(fields: "_id"\) \{/);
    expect(sdl).not.toContain("_entities");
  });

  it("answers a query across both subgraphs through a federation gateway", async () => {
    const answer = await data(routerUrl, "{ featuredOrder { _id dish status review } }");
    expect(answer).toEqual({
      featuredOrder: { _id: featured, dish: "tonkatsu", status: "placed", review: "crisp" },
    });
    // And the other way: a Convex query's order gets its review from the other subgraph.
    const fromConvex = await data(
      routerUrl,
      `{ ordersGetOrderById(id: "${featured}") { dish review } }`,
    );
    expect(fromConvex).toEqual({ ordersGetOrderById: { dish: "tonkatsu", review: "crisp" } });
  });

  it("resolves a representation, an unknown id as null, an unknown type as an error", async () => {
    const missing = missingIdLike(featured);
    const result = (
      await post(gateway.url, {
        query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order { _id dish } } }`,
        variables: {
          r: [
            { __typename: "Order", _id: featured },
            { __typename: "Order", _id: missing },
            { __typename: "Nope", _id: featured },
          ],
        },
      })
    ).json();
    expect(result.data).toEqual({
      _entities: [{ _id: featured, dish: "tonkatsu" }, null, null],
    });
    expect(result.errors).toEqual([
      expect.objectContaining({
        message:
          'The _entities resolver tried to load an entity for type "Nope", but no object type of that name was found in the schema',
        path: ["_entities", 2],
      }),
    ]);
  });
});

describe("which types are entities", () => {
  it("any Query field taking one ID! (whatever its name) and returning a table type", () => {
    const schema = createSchema({
      typeDefs: /* GraphQL */ `
        type User {
          _id: ID!
          name: String!
        }
        type Note {
          _id: ID!
        }
        type Query {
          userById(userId: ID!): User
          notes(limit: Float!): [Note!]!
          noteOf(noteId: ID!, extra: String): Note
        }
      `,
      resolvers: { Query: { userById: () => null, notes: () => [], noteOf: () => null } },
    });
    const entities = findEntities(schema);
    expect([...entities.keys()]).toEqual(["User"]);
    expect(entities.get("User")?.argName).toBe("userId");
  });
});
