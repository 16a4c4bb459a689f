/**
 * The typed documents of `npm run codegen` (codegen.ts -> test/gql/): they are what codegen writes
 * from today's schema.graphql and operations (a stale copy fails here, so CI catches it), and a
 * client uses them as an app does, the variables and results typed by the contract.
 */
import fs from "node:fs";
import path from "node:path";
import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { generate } from "@graphql-codegen/cli";
import { print } from "graphql";
import { describe, expect, it } from "vitest";
import config from "../../codegen.ts";
import {
  ActiveOrdersDocument,
  ListOrdersDocument,
  OrdersByTableDocument,
  PlaceOrderDocument,
  SearchOrdersDocument,
} from "../gql/graphql.ts";
import { REPO_ROOT } from "../utils/backend.ts";
import { record, useSharedServers, wsClient } from "./support/gateway.ts";

const servers = useSharedServers();

describe("test/gql/", () => {
  it("is what codegen writes now (run npm run codegen after changing schema.graphql)", async () => {
    const outputs = (await generate({ ...config, cwd: REPO_ROOT, silent: true }, false)) as {
      filename: string;
      content: string;
    }[];
    expect(outputs.map((output) => path.basename(output.filename)).sort()).toEqual([
      "gql.ts",
      "graphql.ts",
      "index.ts",
    ]);
    for (const output of outputs) {
      const committed = fs.readFileSync(path.resolve(REPO_ROOT, output.filename), "utf8");
      expect(committed, output.filename).toBe(output.content);
    }
  }, 60_000);
});

describe("typed documents against the gateway", () => {
  it("Apollo Client places, reads, searches and pages orders with them", async () => {
    const apollo = new ApolloClient({
      link: new HttpLink({ uri: servers.gateway.url }),
      cache: new InMemoryCache(),
    });
    const placed = await apollo.mutate({
      mutation: PlaceOrderDocument,
      variables: { dish: "typed udon", table: 91 },
    });
    const id: string | undefined = placed.data?.ordersPlaceOrder;
    expect(typeof id).toBe("string");
    const byTable = await apollo.query({ query: OrdersByTableDocument, variables: { table: 91 } });
    expect(byTable.data?.ordersGetOrdersByTable).toEqual([
      { __typename: "Order", _id: id, dish: "typed udon", status: "placed" },
    ]);
    const found = await apollo.query({ query: SearchOrdersDocument, variables: { text: "typed" } });
    expect(found.data?.searchOrders.map((order) => order.table)).toEqual([91]);
    const page = await apollo.query({ query: ListOrdersDocument, variables: { first: 1 } });
    expect(page.data?.ordersListOrders.edges).toHaveLength(1);
  });

  it("a subscription document over graphql-ws", async () => {
    await using client = wsClient(servers.gateway.url);
    using watch = record(client, { query: print(ActiveOrdersDocument) });
    const first = await watch.next("the active orders");
    expect(Array.isArray(first.data?.["ordersGetActiveOrders"])).toBe(true);
  });
});
