/**
 * The baseline of `bench/fanout.ts`: a plain graphql-yoga server, set up as Yoga's documentation
 * does it (`http.createServer(yoga)`, graphql-ws on the same path through `yoga.getEnveloped`),
 * whose subscription `countersGet(name: String!): Float!` is fed by Yoga's own `createPubSub`.
 * No Convex, no gateway: what serving the same payload to the same subscribers costs with
 * nothing in between. Every subscriber gets `{"data":{"countersGet":N}}`, as from the gateway.
 */
import { setMaxListeners } from "node:events";
import http from "node:http";
import type { DocumentNode, ExecutionArgs, GraphQLError, GraphQLSchema } from "graphql";
import { createPubSub, createSchema, createYoga, type PubSubEventTarget } from "graphql-yoga";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { listenOnLoopback } from "../../lib/listen.ts";

/** What `yoga.getEnveloped` hands a graphql-ws subscription (typed here: Yoga's are generic). */
interface Enveloped {
  schema: GraphQLSchema;
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  contextFactory: () => Promise<unknown>;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
}

type EnvelopedRoot = Pick<Enveloped, "execute" | "subscribe">;

type Topics = { hot: [value: number] };

export interface PlainYoga {
  /** `http://127.0.0.1:PORT/graphql` */
  readonly url: string;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Sends `value` to every subscriber (synchronously hands it to every subscription). */
  publish(value: number): void;
  close(): Promise<void>;
}

/** Starts the baseline server on a free port of 127.0.0.1. */
export async function startPlainYoga(): Promise<PlainYoga> {
  // Every subscription adds a listener to the pubsub's EventTarget: no "possible leak" warning.
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget);
  const pubsub = createPubSub<Topics>({ eventTarget: eventTarget as PubSubEventTarget<Topics> });
  let current = 0;
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        type Query {
          countersGet(name: String!): Float!
        }
        type Subscription {
          countersGet(name: String!): Float!
        }
      `,
      resolvers: {
        Query: { countersGet: () => current },
        Subscription: {
          countersGet: {
            subscribe: () => pubsub.subscribe("hot"),
            resolve: (value: number) => value,
          },
        },
      },
    }),
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: false,
  });
  const server = http.createServer((req, res) => void yoga.requestListener(req, res));
  const wss = new WebSocketServer({ server, path: "/graphql" });
  useServer<Record<string, unknown> | undefined, { request: http.IncomingMessage }>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        }) as unknown as Enveloped;
        const args: ExecutionArgs = {
          schema,
          operationName: params.operationName ?? null,
          document: parse(params.query),
          variableValues: params.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? [...errors] : args;
      },
    },
    wss,
  );
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    get connections() {
      return wss.clients.size;
    },
    publish(value) {
      current = value;
      pubsub.publish("hot", value);
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
