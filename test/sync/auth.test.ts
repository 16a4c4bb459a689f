/**
 * Authentication over the sync protocol and the HTTP API, with a local JWT issuer (RS256 keys
 * served as a JWKS on loopback) and the auth fixture app, whose `auth.config.ts` names that
 * issuer as a `customJwt` provider. The stories: a user token gives functions Convex's identity
 * (`tokenIdentifier` = `issuer|subject`, standard claims in camelCase); a token signed with the
 * wrong key or expired is refused (`setAuth`'s `onChange(false)`, HTTP 401); two users on the
 * same identity-reading query get their own results while a query that never reads the identity
 * is shared; and changing a session's identity reruns that session's queries only.
 */
import type { UserIdentity } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestBackend } from "../utils/backend.ts";
import {
  AUTH_APP_DIR,
  httpClient,
  record,
  serve,
  syncClient,
  users,
  type SyncClient,
} from "./support/clients.ts";
import { startTestIssuer, type TestIssuer } from "../utils/jwt_issuer.ts";
import { RawSyncSocket } from "./support/raw_socket.ts";
import { step } from "../utils/waits.ts";

let issuer: TestIssuer;
let backend: TestBackend;

beforeAll(async () => {
  issuer = await step(startTestIssuer(), "the test issuer to start");
  backend = await serve({ dir: AUTH_APP_DIR, env: { TEST_JWT_ISSUER: issuer.url } });
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
  await issuer[Symbol.asyncDispose]();
});

/** A token for `subject` with a name and a few standard claims. */
async function tokenFor(subject: string, name: string): Promise<string> {
  return issuer.token(subject, { name, email: `${subject}@example.com` });
}

/**
 * Calls `client.setAuth` with a fetcher that always returns `token`; resolves with the first
 * `onChange` value (true: the server accepted it; false: refused).
 */
async function signIn(client: SyncClient, token: string): Promise<boolean> {
  return step(
    new Promise<boolean>((resolve) => {
      client.setAuth(() => Promise.resolve(token), resolve);
    }),
    "setAuth's onChange",
  );
}

describe("a user token over the sync protocol", () => {
  it("gives functions Convex's identity, with standard claims in camelCase", async () => {
    await using client = syncClient(backend.url);
    const token = await issuer.token("alice", {
      name: "Alice Liddell",
      given_name: "Alice",
      family_name: "Liddell",
      email: "alice@example.com",
      email_verified: true,
      preferred_username: "alice",
      picture: "https://example.com/alice.png",
      locale: "en-GB",
      updated_at: "2024-01-01T00:00:00Z",
      team: "kitchen",
    });
    using whoami = record(client, users.whoami, {});
    expect(await signIn(client, token)).toBe(true);

    const identity = await whoami.value((value) => value !== null, "the identity");
    expect(identity).toMatchObject({
      tokenIdentifier: `${issuer.url}|alice`,
      issuer: issuer.url,
      subject: "alice",
      name: "Alice Liddell",
      givenName: "Alice",
      familyName: "Liddell",
      email: "alice@example.com",
      emailVerified: true,
      preferredUsername: "alice",
      pictureUrl: "https://example.com/alice.png",
      language: "en-GB",
      updatedAt: "2024-01-01T00:00:00Z",
      team: "kitchen",
    } satisfies UserIdentity & { team: string });
    // Registered JWT claims and raw snake_case names are not part of the identity.
    for (const claim of ["aud", "exp", "iat", "iss", "sub", "given_name", "email_verified"]) {
      expect(identity).not.toHaveProperty(claim);
    }

    // Mutations see it too.
    const stored = await step(client.mutation(users.store, {}), "users:store");
    expect(stored.tokenIdentifier).toBe(`${issuer.url}|alice`);
    expect(issuer.jwksFetches).toBeGreaterThan(0);
  });

  it("refuses a token signed with a key the issuer's JWKS does not hold", async () => {
    await using client = syncClient(backend.url);
    const forged = await issuer.token("mallory", { name: "Mallory" }, { wrongKey: true });
    using whoami = record(client, users.whoami, {});
    expect(await signIn(client, forged)).toBe(false);
    // The client drops the token and carries on anonymously.
    await whoami.atLeast(1, "an anonymous result");
    expect(whoami.values.every((value) => value === null)).toBe(true);
    await expect(step(client.mutation(users.store, {}), "users:store")).rejects.toThrow(
      /UNAUTHENTICATED|users:store needs a user/,
    );
  });

  it("refuses an expired token", async () => {
    await using client = syncClient(backend.url);
    const expired = await issuer.token("alice", { name: "Alice" }, { expiresIn: -120 });
    expect(await signIn(client, expired)).toBe(false);
  });

  it("answers a raw Authenticate with a bad token with AuthError, then closes", async () => {
    for (const token of [
      await issuer.token("mallory", {}, { wrongKey: true }),
      await issuer.token("alice", {}, { expiresIn: -120 }),
      await issuer.token("alice", {}, { audience: "someone-else" }),
      "not a jwt",
    ]) {
      await using socket = await RawSyncSocket.connect(backend.url);
      socket.send({ type: "Authenticate", baseVersion: 0, tokenType: "User", value: token });
      const error = await socket.expect("AuthError");
      expect(error).toMatchObject({ baseVersion: 0, authUpdateAttempted: true });
      expect(error.error.length).toBeGreaterThan(0);
      expect(await socket.expectClose()).toEqual({ code: 1000, reason: "AuthError" });
    }
  });

  it("confirms a good raw Authenticate with a Transition that moves the identity version", async () => {
    await using socket = await RawSyncSocket.connect(backend.url);
    socket.send({
      type: "Authenticate",
      baseVersion: 0,
      tokenType: "User",
      value: await tokenFor("alice", "Alice"),
    });
    const transition = await socket.expect("Transition");
    expect(transition.startVersion.identity).toBe(0);
    expect(transition.endVersion.identity).toBe(1);
    expect(transition.modifications).toEqual([]);
    // Back to anonymous: version 2.
    socket.send({ type: "Authenticate", baseVersion: 1, tokenType: "None" });
    expect((await socket.expect("Transition")).endVersion.identity).toBe(2);
  });
});

describe("a token that expires while in use", () => {
  it("gets AuthError {authUpdateAttempted: false} when it expires, then the socket closes", async () => {
    await using socket = await RawSyncSocket.connect(backend.url);
    // JWT expiry has one-second resolution: this token expires within the next two seconds.
    const token = await issuer.token("alice", {}, { expiresIn: 2 });
    socket.send({ type: "Authenticate", baseVersion: 0, tokenType: "User", value: token });
    expect((await socket.expect("Transition")).endVersion.identity).toBe(1);
    const error = await socket.expect("AuthError");
    expect(error).toMatchObject({
      error: "Token expired",
      baseVersion: 1,
      authUpdateAttempted: false,
    });
    expect(await socket.expectClose()).toEqual({ code: 1000, reason: "AuthError" });
  });
});

describe("a user token over the HTTP API", () => {
  it("is honoured from Authorization: Bearer", async () => {
    const client = httpClient(backend.url);
    client.setAuth(await tokenFor("hatter", "Hatter"));
    const identity = await step(client.query(users.whoami, {}), "users:whoami over HTTP");
    expect(identity).toMatchObject({ tokenIdentifier: `${issuer.url}|hatter`, name: "Hatter" });
    const stored = await step(client.mutation(users.store, {}), "users:store over HTTP");
    expect(stored.tokenIdentifier).toBe(`${issuer.url}|hatter`);
    expect(await step(client.query(users.currentName, {}), "users:currentName")).toBe("Hatter");
  });

  it("answers 401 with Convex's code and message for a bad token", async () => {
    for (const [token, body] of [
      [
        await issuer.token("mallory", {}, { wrongKey: true }),
        {
          code: "InvalidAuthHeader",
          message:
            "Could not decode token. The JWT's 'kid' (key ID) header is 'test-key-1', does this key match any key in the provider's JWKS?",
        },
      ],
      [
        await issuer.token("alice", {}, { expiresIn: -120 }),
        {
          code: "InvalidAuthHeader",
          message: "Could not validate token: Token expired 120 seconds ago",
        },
      ],
    ] as const) {
      const response = await step(
        fetch(`${backend.url}/api/query`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ path: "users:whoami", args: {}, format: "convex_encoded_json" }),
        }),
        "POST /api/query",
      );
      expect(response.status).toBe(401);
      const answer = (await response.json()) as { code: string; message: string };
      expect(answer.code).toBe(body.code);
      // The expiry is counted in whole seconds: a second may pass between signing and checking.
      expect(answer.message.replace(/expired 12[01] seconds/, "expired 120 seconds")).toBe(
        body.message,
      );

      const client = httpClient(backend.url);
      client.setAuth(token);
      await expect(step(client.query(users.whoami, {}), "users:whoami")).rejects.toThrow(body.code);
    }
  });
});

describe("identities and live queries", () => {
  it("gives two users on the same identity-reading query their own results", async () => {
    await using alice = syncClient(backend.url);
    await using bob = syncClient(backend.url);
    const stats = backend.engine.liveQueries.stats;
    expect(await signIn(alice, await tokenFor("alice", "Alice"))).toBe(true);
    expect(await signIn(bob, await tokenFor("bob", "Bob"))).toBe(true);
    const before = stats.executions;

    using aliceWho = record(alice, users.whoami, {});
    using bobWho = record(bob, users.whoami, {});
    using aliceCount = record(alice, users.count, {});
    using bobCount = record(bob, users.count, {});
    const aliceIdentity = await aliceWho.value((value) => value !== null, "alice's identity");
    const bobIdentity = await bobWho.value((value) => value !== null, "bob's identity");
    await aliceCount.atLeast(1, "alice's count");
    await bobCount.atLeast(1, "bob's count");
    expect(aliceIdentity?.tokenIdentifier).toBe(`${issuer.url}|alice`);
    expect(bobIdentity?.tokenIdentifier).toBe(`${issuer.url}|bob`);
    expect(aliceWho.values).toHaveLength(1);
    expect(bobWho.values).toHaveLength(1);
    // whoami ran once per identity; count (which never reads the identity) once for both.
    expect(stats.executions - before).toBe(3);
  });

  it("reruns a session's queries when its identity changes, and no one else's", async () => {
    await using client = syncClient(backend.url);
    await using bystander = syncClient(backend.url);
    expect(await signIn(client, await tokenFor("carol", "Carol"))).toBe(true);
    expect(await signIn(bystander, await tokenFor("dave", "Dave"))).toBe(true);
    using who = record(client, users.whoami, {});
    using bystanderWho = record(bystander, users.whoami, {});
    await who.value((value) => value?.subject === "carol", "carol");
    await bystanderWho.value((value) => value?.subject === "dave", "dave");

    // Same socket, new token: the client sends Authenticate; the session reruns whoami.
    expect(await signIn(client, await tokenFor("erin", "Erin"))).toBe(true);
    await who.value((value) => value?.subject === "erin", "erin");
    expect(who.values.map((value) => value?.subject)).toEqual(["carol", "erin"]);

    // Signed out: anonymous again.
    client.client.clearAuth();
    await who.value((value) => value === null, "anonymous");

    // The other session's result never changed.
    expect(bystanderWho.values.map((value) => value?.subject)).toEqual(["dave"]);
  });
});
