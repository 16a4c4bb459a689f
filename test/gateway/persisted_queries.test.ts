/**
 * Persisted queries: Apollo's automatic persisted queries (Apollo Client's own
 * `PersistedQueryLink`) when no allow-list is set, and an allow-list in the shape of
 * graphql-codegen's `persisted-documents.json` (hash -> document, sent as `documentId`).
 */
import { createHash } from "node:crypto";
import { ApolloClient, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { describe, expect, it } from "vitest";
import { post, request, startTestGateway, useSharedServers } from "./support/gateway.ts";

const servers = useSharedServers();

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Apollo Client with the persisted-query link, and every body it sent. */
function apolloWithApq(url: string) {
  const sent: { query?: string; extensions?: { persistedQuery?: unknown } }[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    sent.push(JSON.parse(init?.body as string) as (typeof sent)[number]);
    return fetch(input, init);
  };
  const link = new PersistedQueryLink({ sha256 }).concat(
    new HttpLink({ uri: url, fetch: recordingFetch }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  return { client, sent };
}

describe("automatic persisted queries", () => {
  it("Apollo's link sends the hash, is asked for the document once, then sends the hash alone", async () => {
    const { client, sent } = apolloWithApq(servers.gateway.url);
    const COUNTER = gql`
      query ApqCounter($name: String!) {
        countersGet(name: $name)
      }
    `;
    const first = await client.query({ query: COUNTER, variables: { name: "apq" } });
    expect(first.data).toEqual({ countersGet: 0 });
    // The hash alone (a miss), then the hash with the document.
    expect(sent.map((body) => typeof body.query)).toEqual(["undefined", "string"]);

    const again = await client.query({
      query: COUNTER,
      variables: { name: "apq-2" },
      fetchPolicy: "network-only",
    });
    expect(again.data).toEqual({ countersGet: 0 });
    expect(sent).toHaveLength(3);
    expect(sent[2]?.query).toBeUndefined(); // a hit: the hash was enough
  });

  it("answers an unknown hash with PERSISTED_QUERY_NOT_FOUND", async () => {
    const answer = await post(servers.gateway.url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256("{ nothing }") } },
    });
    expect(answer.json().errors).toEqual([
      expect.objectContaining({
        message: "PersistedQueryNotFound",
        extensions: expect.objectContaining({ code: "PERSISTED_QUERY_NOT_FOUND" }) as unknown,
      }),
    ]);
  });

  it("refuses a hash that does not match its document, and keeps nothing", async () => {
    const query = '{ countersGet(name: "mismatch") }';
    const wrong = sha256("{ somethingElse }");
    const answer = await post(servers.gateway.url, {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: wrong } },
    });
    expect(answer.status).toBe(400);
    expect(answer.json().errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_HASH_MISMATCH");
    const byHash = await post(servers.gateway.url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: wrong } },
    });
    expect(byHash.json().errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});

describe("an allow-list from graphql-codegen's persisted-documents.json", () => {
  it("runs a listed document by its documentId, and nothing else", async () => {
    const document = "query Listed($name: String!) { countersGet(name: $name) }";
    const manifest = { [sha256(document)]: document };
    await using locked = await startTestGateway(servers.backend.url, {
      persistedOperations: manifest,
    });
    const listed = await request(
      locked.url,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ documentId: sha256(document), variables: { name: "listed" } }),
      },
      "the listed document by its documentId",
    );
    expect(listed.json()).toEqual({ data: { countersGet: 0 } });
    const other = await post(locked.url, { query: document, variables: { name: "x" } });
    expect(other.json().data).toBeUndefined();
  });
});
