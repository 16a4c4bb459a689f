/**
 * What protects the gateway, each at its limit and one past it: operation depth and cost, the
 * request body size, subscriptions per graphql-ws connection, introspection, persisted
 * operations, and CSRF prevention (Yoga's plugin: a request that a browser could send
 * cross-site without a preflight is refused with 403).
 */
import http from "node:http";
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  data,
  get,
  post,
  record,
  request,
  startTestGateway,
  type TestGateway,
  wsClient,
  useSharedServers,
} from "./support/gateway.ts";
import { delay, eventually, STEP_MS, within } from "../utils/waits.ts";
import { describeFailure as describeError } from "../utils/recorder.ts";

const servers = useSharedServers();

/** `__type(name: "Order") { fields { type { ofType { ... name } } } }`, `depth` levels deep. */
function deepQuery(depth: number): string {
  // Levels: __type (1), fields (2), type (3), then ofType... down to the leaf `name`.
  let inner = "name";
  for (let level = depth; level > 4; level--) inner = `ofType { ${inner} }`;
  return `{ __type(name: "Order") { fields { type { ${inner} } } } }`;
}

/** An operation selecting `count` fields (aliased `__typename`s: free to execute). */
function wideQuery(count: number): string {
  return `{ ${Array.from({ length: count }, (_, index) => `f${index}: __typename`).join(" ")} }`;
}

describe("operation limits", () => {
  it("accepts depth 12 and refuses depth 13 (QUERY_TOO_DEEP)", async () => {
    const atLimit = await post(servers.gateway.url, { query: deepQuery(12) });
    expect(atLimit.status).toBe(200);
    expect(atLimit.json().errors).toBeUndefined();

    const tooDeep = await post(servers.gateway.url, { query: deepQuery(13) });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.json()).toEqual({
      errors: [
        expect.objectContaining({
          message: "Operation is too deep: depth 13 exceeds the limit of 12.",
          extensions: { code: "QUERY_TOO_DEEP" },
        }),
      ],
    });
  });

  it("counts depth through fragments", async () => {
    const query = `
      query { __type(name: "Order") { ...F } }
      fragment F on __Type { fields { type { ${"ofType { ".repeat(10)}name${" }".repeat(10)} } } }`;
    const answer = await post(servers.gateway.url, { query });
    expect(answer.json().errors?.[0]?.extensions?.code).toBe("QUERY_TOO_DEEP");
  });

  it("accepts 1000 fields and refuses 1001 (QUERY_TOO_COSTLY)", async () => {
    const atLimit = await post(servers.gateway.url, { query: wideQuery(1000) });
    expect(atLimit.status).toBe(200);
    expect(Object.keys(atLimit.json().data ?? {})).toHaveLength(1000);

    const tooCostly = await post(servers.gateway.url, { query: wideQuery(1001) });
    expect(tooCostly.status).toBe(400);
    expect(tooCostly.json().errors).toEqual([
      expect.objectContaining({
        message: "Operation is too costly: it selects 1001 fields, over the limit of 1000.",
        extensions: { code: "QUERY_TOO_COSTLY" },
      }),
    ]);
  });

  // Regression test (this was a bug, found and fixed while writing these tests).
  it("accepts the standard introspection query", async () => {
    const answer = await post(servers.gateway.url, { query: getIntrospectionQuery() });
    expect(answer.json().errors).toBeUndefined();
    expect(answer.status).toBe(200);
  });

  it("applies the limits to graphql-ws subscriptions too", async () => {
    await using client = wsClient(servers.gateway.url);
    using deep = record(client, { query: deepQuery(13).replace(/^\{/, "query {") });
    const error = await deep.failure("the depth error");
    expect(JSON.stringify(error)).toMatch(/QUERY_TOO_DEEP/);
    expect(client.closes).toEqual([]);
  });

  it("honours maxDepth and maxCost options", async () => {
    await using strict = await startTestGateway(servers.backend.url, { maxDepth: 4, maxCost: 10 });
    expect((await post(strict.url, { query: deepQuery(4) })).status).toBe(200);
    expect((await post(strict.url, { query: deepQuery(5) })).json().errors?.[0]?.message).toBe(
      "Operation is too deep: depth 5 exceeds the limit of 4.",
    );
    expect((await post(strict.url, { query: wideQuery(10) })).status).toBe(200);
    expect(
      (await post(strict.url, { query: wideQuery(11) })).json().errors?.[0]?.extensions,
    ).toEqual({
      code: "QUERY_TOO_COSTLY",
    });
  });
});

/** POSTs `body` with http.request; `chunked` leaves Content-Length out. */
async function rawPost(
  url: string,
  body: string,
  chunked: boolean,
): Promise<{ status: number; text: string }> {
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers: Record<string, string | number> = { "content-type": "application/json" };
    if (chunked) headers["transfer-encoding"] = "chunked";
    else headers["content-length"] = Buffer.byteLength(body);
    const req = http.request(url, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    // The server may answer (and close) before it read everything.
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    for (let offset = 0; offset < body.length; offset += 64 * 1024) {
      req.write(body.slice(offset, offset + 64 * 1024));
    }
    req.end();
  });
  return within(answer, STEP_MS, "the raw POST");
}

describe("request body size", () => {
  const padded = (bytes: number) =>
    JSON.stringify({ query: "{ __typename }", variables: { pad: "x".repeat(bytes) } });

  it("accepts a body just under 1 MiB and refuses one over it with 413", async () => {
    const under = padded(1_048_576 - 100);
    expect(Buffer.byteLength(under)).toBeLessThanOrEqual(1_048_576);
    const ok = await rawPost(servers.gateway.url, under, false);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual({ data: { __typename: "Query" } });

    const over = await rawPost(servers.gateway.url, padded(1_048_576), false);
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text)).toEqual({
      errors: [{ message: "Request body is larger than 1048576 bytes." }],
    });
  });

  // Regression test (this was a bug, found and fixed while writing these tests).
  it("refuses a chunked body over 1 MiB (no Content-Length) with 413", async () => {
    const over = await rawPost(servers.gateway.url, padded(1_100_000), true);
    expect(over.status).toBe(413);
  });

  it("closes a graphql-ws socket whose message is over 1 MiB (1009)", async () => {
    await using client = wsClient(servers.gateway.url);
    using big = record(client, {
      query: "subscription ($pad: String) { countersGet(name: $pad) }",
      variables: { pad: "x".repeat(1_100_000) },
    });
    const error = await big.failure("the socket to close");
    expect(describeError(error)).toMatch(/^close 1009/);
  });
});

describe("subscriptions per connection", () => {
  it("refuses the subscription over maxSubscriptionsPerConnection, and only that one", async () => {
    await using limited = await startTestGateway(servers.backend.url, {
      maxSubscriptionsPerConnection: 2,
    });
    await using client = wsClient(limited.url);
    const watch = (name: string) =>
      record(client, { query: `subscription { countersGet(name: "${name}") }` });
    const first = watch("a");
    using second = watch("b");
    await first.next("the first subscription's result");
    await second.next("the second subscription's result");

    using third = watch("c");
    const error = await third.failure("the third subscription to be refused");
    expect(error).toEqual([
      expect.objectContaining({
        message: "Too many subscriptions on this connection (limit 2).",
      }),
    ]);
    // Refusing one does not free a slot.
    using fourth = watch("d");
    await fourth.failure("the fourth subscription to be refused too");
    // The first two keep running, and the socket stays open.
    await data(limited.url, 'mutation { countersIncrement(name: "a") }');
    expect((await first.next("the first subscription's update")).data).toEqual({ countersGet: 1 });
    expect(client.closes).toEqual([]);

    // Completing one frees its slot.
    first[Symbol.dispose]();
    await eventually(() => limited.live.size === 1, "the completed subscription to be gone");
    await delay(50);
    using fifth = watch("e");
    expect((await fifth.next("a subscription in the freed slot")).data).toEqual({ countersGet: 0 });
  });

  // Regression test (this was a bug, found and fixed while writing these tests).
  it("accepts a subscription sent right after completing one at the limit", async () => {
    await using limited = await startTestGateway(servers.backend.url, {
      maxSubscriptionsPerConnection: 1,
    });
    await using client = wsClient(limited.url);
    const first = record(client, { query: 'subscription { countersGet(name: "r1") }' });
    await first.next("the first subscription's result");
    first[Symbol.dispose]();
    using second = record(client, { query: 'subscription { countersGet(name: "r2") }' });
    expect((await second.next("the replacement's result")).data).toEqual({ countersGet: 0 });
  });

  it("counts per connection, not per gateway", async () => {
    await using limited = await startTestGateway(servers.backend.url, {
      maxSubscriptionsPerConnection: 1,
    });
    await using one = wsClient(limited.url);
    await using two = wsClient(limited.url);
    using a = record(one, { query: 'subscription { countersGet(name: "x") }' });
    using b = record(two, { query: 'subscription { countersGet(name: "x") }' });
    await a.next("the first connection's subscription");
    await b.next("the second connection's subscription");
  });
});

describe("introspection: false", () => {
  it("refuses __schema and __type, over HTTP and graphql-ws, but allows __typename", async () => {
    await using closed = await startTestGateway(servers.backend.url, { introspection: false });
    const schema = await post(closed.url, { query: "{ __schema { types { name } } }" });
    expect(schema.status).toBe(400);
    expect(schema.json().errors?.[0]?.message).toMatch(/introspection/i);
    const type = await post(closed.url, { query: '{ __type(name: "Order") { name } }' });
    expect(type.status).toBe(400);
    expect(await data(closed.url, "{ __typename }")).toEqual({ __typename: "Query" });
    expect(await data(closed.url, '{ countersGet(name: "intro") }')).toEqual({ countersGet: 0 });

    await using client = wsClient(closed.url);
    using viaSocket = record(client, { query: "query { __schema { queryType { name } } }" });
    expect(JSON.stringify(await viaSocket.failure("the introspection error"))).toMatch(
      /introspection/i,
    );
    // The default gateway does allow it.
    const open = await post(servers.gateway.url, { query: "{ __schema { queryType { name } } }" });
    expect(open.json()).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
  });
});

describe("persisted operations", () => {
  const store = {
    counter: "query Counter($name: String!) { countersGet(name: $name) }",
    bump: 'mutation Bump { countersIncrement(name: "persisted") }',
  };
  const byId = (id: string, variables?: Record<string, unknown>) => ({
    ...(variables === undefined ? {} : { variables }),
    extensions: { persistedQuery: { version: 1, sha256Hash: id } },
  });

  it("runs known ids only, and no operation text, over HTTP", async () => {
    await using locked = await startTestGateway(servers.backend.url, {
      persistedOperations: store,
    });

    const bump = await post(locked.url, byId("bump"));
    expect(bump.json()).toEqual({ data: { countersIncrement: expect.any(Number) as unknown } });
    const counter = await post(locked.url, byId("counter", { name: "persisted" }));
    expect(counter.json()).toEqual({
      data: { countersGet: bump.json().data?.["countersIncrement"] },
    });

    const unknown = await post(locked.url, byId("nope"));
    expect(unknown.json().errors).toEqual([
      expect.objectContaining({
        message: "PersistedQueryNotFound",
        extensions: { code: "PERSISTED_QUERY_NOT_IN_LIST" },
      }),
    ]);
    const arbitrary = await post(locked.url, { query: store.counter, variables: { name: "x" } });
    expect(arbitrary.json().errors?.[0]?.extensions?.code).toBe("CANNOT_SEND_PQ_ID_AND_BODY");
    expect(arbitrary.json().data).toBeUndefined();
  });

  // Regression test (this was a bug, found and fixed while writing these tests).
  it("refuses operation text over graphql-ws", async () => {
    await using locked = await startTestGateway(servers.backend.url, {
      persistedOperations: store,
    });
    await using client = wsClient(locked.url);
    using arbitrary = record(client, { query: 'subscription { countersGet(name: "ws") }' });
    const error = await arbitrary.failure("the arbitrary operation to be refused");
    expect(JSON.stringify(error)).toMatch(/PersistedQueryOnly|CANNOT_SEND_PQ_ID_AND_BODY/);
  });
});

/** With `csrfPrevention` (`--csrf-prevention`): Yoga's plugin, for a proxy that maps cookies to Authorization. */
describe("CSRF prevention", () => {
  let csrf: TestGateway;
  beforeAll(async () => {
    csrf = await startTestGateway(servers.backend.url, { csrfPrevention: true });
  });
  afterAll(async () => {
    await csrf.close();
  });
  const increment = (name: string) => `mutation { countersIncrement(name: "${name}") }`;
  const counter = async (name: string) =>
    (await data(csrf.url, `{ countersGet(name: "${name}") }`))["countersGet"];

  it("refuses a GET with no preflight header, and accepts one with either header", async () => {
    const query = encodeURIComponent('{ countersGet(name: "csrf") }');
    const bare = await request(`${csrf.url}?query=${query}`, {}, "a bare GET");
    expect(bare.status).toBe(403);
    expect(bare.json()).toEqual({ errors: [{ message: "Required CSRF header(s) not present" }] });

    expect((await get(csrf.url, { query: '{ countersGet(name: "csrf") }' })).status).toBe(200);
    const apollo = await request(
      `${csrf.url}?query=${query}`,
      { headers: { "apollo-require-preflight": "true" } },
      "a GET with apollo-require-preflight",
    );
    expect(apollo.status).toBe(200);
  });

  it("accepts a JSON POST (a content type that needs a CORS preflight)", async () => {
    const answer = await post(csrf.url, { query: increment("csrf-json") });
    expect(answer.status).toBe(200);
    expect(await counter("csrf-json")).toBe(1);
  });

  it("refuses a text/plain POST", async () => {
    const answer = await request(
      csrf.url,
      {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ query: increment("csrf-text") }),
      },
      "a text/plain POST",
    );
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(await counter("csrf-text")).toBe(0);
  });

  // Regression test (this was a bug, found and fixed while writing these tests).
  it("refuses a form POST without a preflight header (403), running nothing", async () => {
    const answer = await request(
      csrf.url,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `query=${encodeURIComponent(increment("csrf-form"))}`,
      },
      "a form POST",
    );
    expect(answer.status).toBe(403);
    expect(await counter("csrf-form")).toBe(0);
  });

  it("refuses a multipart POST without a preflight header (403), running nothing", async () => {
    const form = new FormData();
    form.set("operations", JSON.stringify({ query: increment("csrf-multipart") }));
    form.set("map", "{}");
    const answer = await request(csrf.url, { method: "POST", body: form }, "a multipart POST");
    expect(answer.status).toBe(403);
    expect(await counter("csrf-multipart")).toBe(0);
  });
});
