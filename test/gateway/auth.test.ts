/**
 * Identity through the gateway, with a local JWT issuer (RS256, JWKS on loopback) and the fixture
 * app in `fixtures/auth_app`, whose `auth.config.ts` names that issuer as a `customJwt` provider:
 * - HTTP `Authorization: Bearer` reaches Convex's `ctx.auth`; a bad or expired token is refused
 *   with `extensions.code` UNAUTHENTICATED;
 * - two users subscribed to the same operation over graphql-ws (token in `connectionParams`) each
 *   get their own result and never the other's; their live operations are not shared;
 * - a bad or expired token on graphql-ws closes the socket with 4403 Forbidden, and so does a
 *   token that expires while the socket is open.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import {
  data,
  post,
  record,
  startTestGateway,
  wsClient,
  type TestGateway,
} from "./support/gateway.ts";
import { startTestIssuer, type TestIssuer } from "../utils/jwt_issuer.ts";
import { describeFailure as describeError } from "../utils/recorder.ts";
import { delay, eventually, staysFalse } from "../utils/waits.ts";

const AUTH_APP_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "fixtures",
  "auth_app",
);

const WHOAMI = "query { identityWhoami }";
const MY_NOTES = "subscription MyNotes { notesMine }";
const ADD_NOTE = "mutation Add($body: String!) { notesAdd(body: $body) }";

let issuer: TestIssuer;
let backend: TestBackend;
let gateway: TestGateway;

beforeAll(async () => {
  issuer = await startTestIssuer();
  backend = await startTestBackend({ dir: AUTH_APP_DIR, env: { TEST_JWT_ISSUER: issuer.url } });
  gateway = await startTestGateway(backend.url, { dir: AUTH_APP_DIR });
});

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
  await issuer?.[Symbol.asyncDispose]();
});

// Every test leaves nothing live behind (and the next one starts from zero).
afterEach(async () => {
  await eventually(
    () => gateway.live.size === 0 && gateway.upstream.subscriptionCount === 0,
    "everything to be released after the test",
  );
});

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe("over HTTP", () => {
  it("passes a Bearer token on to Convex", async () => {
    const alice = await issuer.token("alice");
    expect(await data(gateway.url, WHOAMI, undefined, bearer(alice))).toEqual({
      identityWhoami: "alice",
    });
    // The bare token (no `Bearer `) is accepted too.
    expect(await data(gateway.url, WHOAMI, undefined, { authorization: alice })).toEqual({
      identityWhoami: "alice",
    });
    expect(await data(gateway.url, WHOAMI)).toEqual({ identityWhoami: null });
  });

  it.each([
    ["signed with a key the issuer does not publish", { wrongKey: true }],
    ["expired", { expiresIn: -120 }],
  ] as const)("refuses a token %s with UNAUTHENTICATED", async (_what, options) => {
    const token = await issuer.token("mallory", {}, options);
    const result = await post(gateway.url, { query: WHOAMI }, bearer(token));
    const body = result.json();
    // The field is nullable: null data for it, and the error that says why.
    expect(body.data).toEqual({ identityWhoami: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(body.errors?.[0]?.message).toMatch(/^Authentication failed/);
  });

  it("refuses a token that is not a JWT with UNAUTHENTICATED", async () => {
    const result = await post(gateway.url, { query: WHOAMI }, bearer("not-a-jwt"));
    expect(result.json().errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("scopes mutations to the caller", async () => {
    const carol = await issuer.token("carol");
    await data(gateway.url, ADD_NOTE, { body: "carol's" }, bearer(carol));
    const anonymous = await post(gateway.url, { query: ADD_NOTE, variables: { body: "x" } });
    expect(anonymous.json().errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await data(gateway.url, "{ notesMine }", undefined, bearer(carol))).toEqual({
      notesMine: ["carol's"],
    });
  });
});

describe("over graphql-ws", () => {
  it("gives two users on the same operation their own results only", async () => {
    const [aliceToken, bobToken] = await Promise.all([issuer.token("ada"), issuer.token("bo")]);
    await using alice = wsClient(gateway.url, { connectionParams: bearer(aliceToken) });
    await using bob = wsClient(gateway.url, { connectionParams: bearer(bobToken) });
    using aliceNotes = record(alice, { query: MY_NOTES });
    using bobNotes = record(bob, { query: MY_NOTES });
    using aliceWho = record(alice, { query: "subscription { identityWhoami }" });
    using bobWho = record(bob, { query: "subscription { identityWhoami }" });

    expect((await aliceWho.next("ada's identity")).data).toEqual({ identityWhoami: "ada" });
    expect((await bobWho.next("bo's identity")).data).toEqual({ identityWhoami: "bo" });
    expect((await aliceNotes.next("ada's first notes")).data).toEqual({ notesMine: [] });
    expect((await bobNotes.next("bo's first notes")).data).toEqual({ notesMine: [] });
    // The same document, two identities: two live operations, not one shared.
    expect(gateway.live.size).toBe(4);

    await data(gateway.url, ADD_NOTE, { body: "ada 1" }, bearer(aliceToken));
    expect((await aliceNotes.next("ada's notes after her write")).data).toEqual({
      notesMine: ["ada 1"],
    });
    await data(gateway.url, ADD_NOTE, { body: "bo 1" }, bearer(bobToken));
    expect((await bobNotes.next("bo's notes after his write")).data).toEqual({
      notesMine: ["bo 1"],
    });
    // Neither ever saw the other's note.
    expect(await staysFalse(() => aliceNotes.pending > 0, 300)).toBe(true);
    expect(aliceNotes.values.map((result) => result.data)).toEqual([
      { notesMine: [] },
      { notesMine: ["ada 1"] },
    ]);
    expect(bobNotes.values.map((result) => result.data)).toEqual([
      { notesMine: [] },
      { notesMine: ["bo 1"] },
    ]);
    expect(alice.closes).toEqual([]);
  });

  it("shares an operation between connections of the same user", async () => {
    const token = await issuer.token("twin");
    await using first = wsClient(gateway.url, { connectionParams: bearer(token) });
    await using second = wsClient(gateway.url, { connectionParams: bearer(token) });
    using a = record(first, { query: MY_NOTES });
    using b = record(second, { query: MY_NOTES });
    await a.next("the first connection's result");
    await b.next("the second connection's result");
    expect(gateway.live.size).toBe(1);
  });

  it.each([
    ["signed with a key the issuer does not publish", { wrongKey: true }],
    ["expired", { expiresIn: -120 }],
  ] as const)("closes the socket with 4403 for a token %s", async (_what, options) => {
    const token = await issuer.token("mallory", {}, options);
    await using client = wsClient(gateway.url, { connectionParams: bearer(token) });
    using watch = record(client, { query: MY_NOTES });
    const error = await watch.failure("the socket to be closed");
    expect(describeError(error)).toMatch(/^close 4403/);
    expect(client.closes).toEqual([{ code: 4403, reason: "Forbidden" }]);
    expect(watch.values).toEqual([]);
  });

  it("closes the socket with 4403 when its token expired while its upstream client was idle", async () => {
    // No warm queries: nothing but the connect itself uses the upstream client.
    await using quick = await startTestGateway(backend.url, {
      dir: AUTH_APP_DIR,
      upstreamIdleMs: 100,
      queryCacheMs: 0,
    });
    const token = await issuer.token("idle-erin", {}, { expiresIn: 2 });
    // Not lazy: the socket stays open with nothing on it.
    await using client = wsClient(quick.url, {
      connectionParams: bearer(token),
      lazy: false,
      onNonLazyError: () => {}, // the close below is what this test waits for
    });
    await eventually(() => quick.upstream.canWrite(token), "the token to be accepted at connect");
    // Connected (the token was checked), then nothing: the upstream client closes when idle.
    await eventually(() => quick.upstream.clientCount === 0, "the idle upstream client to close");
    expect(client.closes).toEqual([]);
    const expiresAtMs = ((await import("jose")).decodeJwt(token).exp ?? 0) * 1000;
    // Past the expiry and Convex's 5 s of leeway on `exp`, after which HTTP refuses it too.
    await delay(Math.max(0, expiresAtMs - Date.now() + 5_300));
    // A one-off query: with no upstream client it goes over HTTP, which refuses the token.
    using query = record(client, { query: WHOAMI });
    const error = await query.failure("the socket to be closed for the expired token");
    expect(describeError(error)).toMatch(/^close 4403/);
  });

  it("closes an idle upstream client after a graphql-ws connect that subscribes nothing", async () => {
    // No warm queries: nothing but the connect itself uses the upstream client.
    await using quick = await startTestGateway(backend.url, {
      dir: AUTH_APP_DIR,
      upstreamIdleMs: 100,
      queryCacheMs: 0,
    });
    const token = await issuer.token("idle-frank");
    expect(await data(quick.url, WHOAMI, undefined, bearer(token))).toEqual({
      identityWhoami: "idle-frank",
    });
    // The request opened the identity's upstream client; the connect below reuses it.
    await eventually(
      () => quick.upstream.canWrite(token),
      "the identity's upstream client to be ready",
    );
    {
      await using client = wsClient(quick.url, { connectionParams: bearer(token) });
      using first = record(client, { query: "{ identityWhoami }" });
      await first.next("a query over the socket");
    }
    await eventually(
      () => quick.upstream.clientCount === 0,
      "every upstream client to close when idle",
    );
  });

  it("closes the socket with 4403 when its token expires in use", async () => {
    const token = await issuer.token("erin", {}, { expiresIn: 2 });
    await using client = wsClient(gateway.url, { connectionParams: bearer(token) });
    using watch = record(client, { query: MY_NOTES });
    expect(await watch.next("the first result")).toEqual({ data: { notesMine: [] } });
    // The backend refuses the token once it expires: the gateway does not go on anonymously.
    const error = await watch.failure("the socket to be closed once the token expired");
    expect(describeError(error)).toMatch(/^close 4403/);
    expect(client.closes).toEqual([{ code: 4403, reason: "Forbidden" }]);
    for (const result of watch.values) expect(result).toEqual({ data: { notesMine: [] } });
  });
});
