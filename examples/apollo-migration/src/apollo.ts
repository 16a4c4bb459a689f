/**
 * The app's Apollo Client, as an Apollo app already has it. `multipart` (the default): one
 * `HttpLink` for everything, subscriptions included (Apollo's multipart protocol, which the
 * gateway speaks). `ws`: the common split link, subscriptions over graphql-ws.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { isSubscriptionOperation } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";

export type Transport = "multipart" | "ws";

export function transportOf(search: string): Transport {
  return new URLSearchParams(search).get("transport") === "ws" ? "ws" : "multipart";
}

export function makeClient(graphqlUrl: string, transport: Transport): ApolloClient {
  const http = new HttpLink({ uri: graphqlUrl });
  const cache = new InMemoryCache();
  if (transport === "multipart") return new ApolloClient({ link: http, cache });
  const ws = new GraphQLWsLink(createClient({ url: graphqlUrl.replace(/^http/, "ws") }));
  return new ApolloClient({
    link: ApolloLink.split(({ query }) => isSubscriptionOperation(query), ws, http),
    cache,
  });
}
