/**
 * The restaurant's legacy GraphQL API: a small Yoga server of its own, with the menu and the
 * tables in memory. The kitchen screen has already moved to Convex; the menu and tables screens
 * still read from here, through the gateway's `--merge`.
 *
 * `viewer` answers the `Authorization` header the server received, so the example (and the
 * tests) can see that the gateway forwards the caller's.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createPubSub, createSchema, createYoga } from "graphql-yoga";

interface Dish {
  id: string;
  name: string;
  price: number;
  category: string;
}

interface Table {
  number: number;
  seats: number;
  occupied: boolean;
}

/** The legacy API's schema, also read by codegen (codegen.ts). */
const typeDefs = fs.readFileSync(new URL("./schema.graphql", import.meta.url), "utf8");

export interface LegacyServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/graphql` */
  readonly url: string;
  /** Subscriptions open right now (tests check that a client leaving releases them). */
  readonly openSubscriptions: number;
  close(): Promise<void>;
}

/** `source`, counted in `state.open` while it is open. */
function counted<T>(source: AsyncIterable<T>, state: { open: number }): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let open = true;
  state.open++;
  const close = () => {
    if (open) state.open--;
    open = false;
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const next = await iterator.next();
      if (next.done === true) close();
      return next;
    },
    async return() {
      close();
      return (await iterator.return?.()) ?? { done: true, value: undefined };
    },
  };
}

function legacySchema(state: { tables: Table[]; open: number }) {
  const menu: Dish[] = [
    { id: "ramen", name: "Ramen", price: 12, category: "noodles" },
    { id: "udon", name: "Udon", price: 11, category: "noodles" },
    { id: "gyoza", name: "Gyoza", price: 6, category: "starters" },
    { id: "mochi", name: "Mochi", price: 4, category: "desserts" },
  ];
  const pubsub = createPubSub<{ tableChanged: [Table] }>();
  return createSchema<{ request: Request }>({
    typeDefs,
    resolvers: {
      Query: {
        menu: () => menu,
        tables: () => state.tables,
        viewer: (_root, _args, context) => context.request.headers.get("authorization"),
      },
      Mutation: {
        setTableOccupied: (_root, args: { number: number; occupied: boolean }) => {
          const table = state.tables.find((candidate) => candidate.number === args.number);
          if (table === undefined) throw new Error(`No table ${args.number}`);
          table.occupied = args.occupied;
          pubsub.publish("tableChanged", { ...table });
          return table;
        },
      },
      Subscription: {
        tableChanged: {
          // Counted on the pub/sub iterator itself: `return()` reaches it at once, where an
          // async generator's `finally` would wait for the next event.
          subscribe: () => counted(pubsub.subscribe("tableChanged"), state),
          resolve: (table: Table) => table,
        },
      },
    },
  });
}

/** Starts the legacy API on `port` (0 picks a free one) of 127.0.0.1. */
export async function startLegacyServer(port = 0): Promise<LegacyServer> {
  const state = {
    tables: [1, 2, 3, 4].map((number) => ({ number, seats: number * 2, occupied: false })),
    open: 0,
  };
  const yoga = createYoga({ schema: legacySchema(state), landingPage: false, graphiql: false });
  const server = http.createServer((req, res) => void yoga.requestListener(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    get openSubscriptions() {
      return state.open;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
