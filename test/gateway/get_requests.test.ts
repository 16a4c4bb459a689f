/**
 * GraphQL over GET, as mainstream clients send it, with no CSRF header (the gateway reads no
 * cookies, so CSRF prevention is off unless asked for):
 * - urql's default client: queries over GET, a subscription over SSE (`fetchSubscriptions`);
 * - Apollo Client with `useGETForQueries`;
 * - plain `fetch` with a `query` parameter (what curl sends), and a mutation over GET: 405;
 * - `Cache-Control` on GET answers: `private, no-store`, except a persisted operation asked
 *   anonymously (`public, max-age=1`, `Vary: Authorization`);
 * - a `Cookie` without `Authorization` is simply anonymous.
 * Each client gets the real `fetch`, wrapped only to record the method it used.
 */
import { ApolloClient, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { cacheExchange, Client, fetchExchange } from "@urql/core";
import { describe, expect, it } from "vitest";
import { convexHttp } from "./support/example_app.ts";
import { api } from "../../convex/_generated/api.js";
import { request, startTestGateway, useSharedServers } from "./support/gateway.ts";
import { STEP_MS, within } from "../utils/waits.ts";
import { Recorder } from "../utils/recorder.ts";

const servers = useSharedServers();

/** The real fetch, recording each request's method. */
function recordingFetch(methods: string[]): typeof fetch {
  return (input, init) => {
    methods.push(init?.method ?? "GET");
    return fetch(input, init);
  };
}

const COUNTER = `query Counter($name: String!) { countersGet(name: $name) }`;

describe("urql's default client", () => {
  it("sends queries over GET and gets answers", async () => {
    const methods: string[] = [];
    const client = new Client({
      url: servers.gateway.url,
      exchanges: [cacheExchange, fetchExchange],
      fetch: recordingFetch(methods),
    });
    await convexHttp(servers.backend.url).mutation(api.counters.increment, { name: "urql-get" });
    const result = await within(
      client.query(COUNTER, { name: "urql-get" }).toPromise(),
      STEP_MS,
      "urql's query",
    );
    expect(result.error).toBeUndefined();
    expect(result.data).toEqual({ countersGet: 1 });
    expect(methods).toEqual(["GET"]);
  });

  it("receives a live subscription over SSE", async () => {
    const client = new Client({
      url: servers.gateway.url,
      exchanges: [cacheExchange, fetchExchange],
      fetchSubscriptions: true,
    });
    using updates = new Recorder<unknown>((sink) => {
      const subscription = client
        .subscription(`subscription { countersGet(name: "urql-sse") }`, {})
        .subscribe((result) => sink.value(result.error ?? result.data));
      return () => subscription.unsubscribe();
    });
    await updates.atLeast(1, "the first SSE event");
    await convexHttp(servers.backend.url).mutation(api.counters.increment, { name: "urql-sse" });
    await updates.atLeast(2, "the update over SSE");
    expect(updates.values).toEqual([{ countersGet: 0 }, { countersGet: 1 }]);
  });
});

it("Apollo Client with useGETForQueries: queries over GET, mutations over POST", async () => {
  const methods: string[] = [];
  const apollo = new ApolloClient({
    link: new HttpLink({
      uri: servers.gateway.url,
      useGETForQueries: true,
      fetch: recordingFetch(methods),
    }),
    cache: new InMemoryCache(),
  });
  const bumped = await apollo.mutate({
    mutation: gql`
      mutation {
        countersIncrement(name: "apollo-get")
      }
    `,
  });
  expect(bumped.data).toEqual({ countersIncrement: 1 });
  const read = await apollo.query({
    query: gql(COUNTER),
    variables: { name: "apollo-get" },
    fetchPolicy: "network-only",
  });
  expect(read.data).toEqual({ countersGet: 1 });
  expect(methods).toEqual(["POST", "GET"]);
  apollo.stop();
});

describe("plain GET", () => {
  const at = (params: Record<string, string>): string =>
    `${servers.gateway.url}?${new URLSearchParams(params).toString()}`;

  it("answers a query parameter (as curl sends it), privately", async () => {
    const answer = await request(at({ query: '{ countersGet(name: "curl") }' }), {}, "a GET");
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ data: { countersGet: 0 } });
    const again = await fetch(at({ query: '{ countersGet(name: "curl") }' }));
    expect(again.headers.get("cache-control")).toBe("private, no-store");
    await again.arrayBuffer();
  });

  it("refuses a mutation over GET with 405, running nothing", async () => {
    const answer = await request(
      at({ query: 'mutation { countersIncrement(name: "get-mutation") }' }),
      { headers: { accept: "application/graphql-response+json" } },
      "a GET mutation",
    );
    expect(answer.status).toBe(405);
    const counter = await request(
      at({ query: '{ countersGet(name: "get-mutation") }' }),
      {},
      "a read",
    );
    expect(counter.json()).toEqual({ data: { countersGet: 0 } });
  });

  it("answers malformed JSON in variables or extensions with a 400 naming the parameter", async () => {
    const query = "query Counter($name: String!) { countersGet(name: $name) }";
    for (const name of ["variables", "extensions"]) {
      const answer = await request(
        at({ query, ...(name === "variables" ? {} : { variables: '{"name":"x"}' }), [name]: "{" }),
        { headers: { accept: "application/graphql-response+json" } },
        `a GET with malformed ${name}`,
      );
      expect(answer.status, name).toBe(400);
      const { errors } = answer.json();
      expect(errors?.[0]?.message, name).toMatch(
        new RegExp(`^The "${name}" parameter is not valid JSON: `),
      );
    }
    // A form-encoded POST carries the same parameters in its body.
    const form = await request(
      servers.gateway.url,
      {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/graphql-response+json",
        },
        body: new URLSearchParams({ query, variables: "{" }).toString(),
      },
      "a form POST with malformed variables",
    );
    expect(form.status).toBe(400);
    expect(form.json().errors?.[0]?.message).toMatch(/form field is not valid JSON: /);
  });

  it("treats a Cookie without Authorization as anonymous", async () => {
    const answer = await request(
      at({ query: "{ usersCurrent { name } }" }),
      { headers: { cookie: "session=someone" } },
      "a GET with a cookie",
    );
    expect(answer.json()).toEqual({ data: { usersCurrent: null } });
  });
});

describe("caching of persisted operations over GET", () => {
  it("lets a shared cache keep an anonymous persisted answer for a second, never an authenticated one", async () => {
    await using persisted = await startTestGateway(servers.backend.url, {
      persistedOperations: { counter: COUNTER },
    });
    const url = `${persisted.url}?${new URLSearchParams({
      variables: JSON.stringify({ name: "cdn" }),
      extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: "counter" } }),
    }).toString()}`;
    const anonymous = await fetch(url);
    expect(await anonymous.json()).toEqual({ data: { countersGet: 0 } });
    expect(anonymous.headers.get("cache-control")).toBe("public, max-age=1");
    expect(anonymous.headers.get("vary")).toMatch(/Authorization/i);

    // Whatever the token's fate, an answer to a request carrying one is never shared.
    const signedIn = await fetch(url, { headers: { authorization: "Bearer some-token" } });
    await signedIn.arrayBuffer();
    expect(signedIn.headers.get("cache-control")).toBe("private, no-store");

    const unknown = await fetch(
      `${persisted.url}?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: "nope" } }))}`,
    );
    await unknown.arrayBuffer();
    expect(unknown.headers.get("cache-control")).toBe("private, no-store");
  });
});
