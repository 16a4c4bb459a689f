/** Reads where the gateway is (`/config.json`, written by serve.ts), then renders the app. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApolloProvider } from "@apollo/client/react";
import { App } from "./app";
import { makeClient, transportOf } from "./apollo";

async function start(): Promise<void> {
  const config = (await (await fetch("/config.json")).json()) as { graphqlUrl: string };
  const transport = transportOf(window.location.search);
  const client = makeClient(config.graphqlUrl, transport);
  const root = document.getElementById("root");
  if (root === null) throw new Error("index.html has no #root");
  createRoot(root).render(
    <StrictMode>
      <ApolloProvider client={client}>
        <App transport={transport} />
      </ApolloProvider>
    </StrictMode>,
  );
}

void start();
