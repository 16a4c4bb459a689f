/**
 * Apollo Client 4's `relayStylePagination()` against a derived connection field, unchanged: the
 * first page, then `fetchMore({ variables: { after: pageInfo.endCursor } })`, merged by Apollo
 * into one list of edges in order, with the second page's `pageInfo`.
 */
import { ApolloClient, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { data, startTestGateway, type TestGateway } from "./support/gateway.ts";
import { STEP_MS, within } from "../utils/waits.ts";

let backend: TestBackend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startTestBackend();
  gateway = await startTestGateway(backend.url);
  for (const dish of ["ramen", "soba", "udon", "gyoza", "mochi"]) {
    await data(gateway.url, `mutation { ordersPlaceOrder(dish: "${dish}", table: 3) }`);
  }
});

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

const ORDERS = gql`
  query Orders($first: Int!, $after: String) {
    ordersListOrders(first: $first, after: $after) {
      edges {
        cursor
        node {
          _id
          dish
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

interface Orders {
  ordersListOrders: {
    edges: { cursor: string | null; node: { _id: string; dish: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

it("loads two pages with relayStylePagination() and merges them in order", async () => {
  const apollo = new ApolloClient({
    link: new HttpLink({ uri: gateway.url }),
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { ordersListOrders: relayStylePagination() } } },
    }),
  });
  try {
    const first = await within(
      apollo.query<Orders>({ query: ORDERS, variables: { first: 2 } }),
      STEP_MS,
      "the first page",
    );
    const page1 = first.data?.ordersListOrders;
    expect(page1?.edges.map((edge) => edge.node.dish)).toEqual(["mochi", "gyoza"]);
    expect(page1?.pageInfo.hasNextPage).toBe(true);

    const observable = apollo.watchQuery<Orders>({ query: ORDERS, variables: { first: 2 } });
    await within(
      observable.fetchMore({ variables: { after: page1?.pageInfo.endCursor } }),
      STEP_MS,
      "the second page",
    );
    const merged = apollo.readQuery<Orders>({ query: ORDERS, variables: { first: 2 } });
    expect(merged?.ordersListOrders.edges.map((edge) => edge.node.dish)).toEqual([
      "mochi",
      "gyoza",
      "udon",
      "soba",
    ]);
    expect(merged?.ordersListOrders.pageInfo.hasNextPage).toBe(true);
    expect(merged?.ordersListOrders.pageInfo.endCursor).not.toBe(page1?.pageInfo.endCursor);
  } finally {
    apollo.stop();
  }
});
