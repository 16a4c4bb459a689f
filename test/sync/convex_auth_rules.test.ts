/**
 * Auth as Convex applies it, through the official clients, with a local JWT issuer and the
 * fidelity fixture app (three customJwt providers: one good, one whose JWKS is not JSON, one
 * whose JWKS endpoint never answers). The story: each bad token gets Convex's code
 * (`NoAuthProvider` or `InvalidAuthHeader`) and message, exactly; the admin key opens internal
 * functions and lets an admin act as a user; a forged admin key is refused with `BadDeployKey`.
 */
import path from "node:path";
import { makeFunctionReference, type UserIdentity } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, type TestBackend } from "../utils/backend.ts";
import { startTestIssuer, type TestIssuer, type TokenOptions } from "../utils/jwt_issuer.ts";
import { httpClient, serve, syncClient } from "./support/clients.ts";
import { RawSyncSocket } from "./support/raw_socket.ts";
import { step } from "../utils/waits.ts";

const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "fidelity_app");
const fns = {
  whoami: makeFunctionReference<"query", Record<string, never>, UserIdentity | null>(
    "errors:whoami",
  ),
  secret: makeFunctionReference<"query", Record<string, never>, string>("errors:secret"),
  bump: makeFunctionReference<"mutation", { body: string }, string>("errors:bump"),
};
const AUTH_TIMEOUT_MS = 1_500;

let issuer: TestIssuer;
let backend: TestBackend;

beforeAll(async () => {
  issuer = await step(startTestIssuer(), "the test issuer to start");
  backend = await serve({
    dir: APP_DIR,
    env: { TEST_JWT_ISSUER: issuer.url },
    authTimeoutMs: AUTH_TIMEOUT_MS,
  });
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
  await issuer[Symbol.asyncDispose]();
});

/** What `ConvexHttpClient` throws for `token`: Convex's `{code, message}` body. */
async function refusal(token: string): Promise<{ code: string; message: string }> {
  const client = httpClient(backend.url);
  client.setAuth(token);
  const error = await step(client.query(fns.whoami, {}), "a refused query").then(
    () => new Error("the token was accepted"),
    (thrown: unknown) => thrown as Error,
  );
  return JSON.parse(error.message) as { code: string; message: string };
}

/** `setAdminAuth` of either official client (an internal method: not in their typings). */
function setAdminAuth(client: object, key: string, identity?: Record<string, unknown>): void {
  (client as { setAdminAuth(key: string, identity?: Record<string, unknown>): void }).setAdminAuth(
    key,
    identity,
  );
}

const base64url = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString("base64url");

describe("the token matrix over HTTP (ConvexHttpClient)", () => {
  const token = (options: TokenOptions) => issuer.token("alice", { name: "Alice" }, options);
  const providers = () =>
    `[CustomJWT(issuer=${issuer.url}, app_id=convex-graphql-test), ` +
    `CustomJWT(issuer=${issuer.url}/bad-jwks, app_id=convex-graphql-test), ` +
    `CustomJWT(issuer=${issuer.url}/slow, app_id=none)]`;
  const noProvider = () =>
    `No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: ${providers()}`;

  it("refuses each bad token with Convex's code and message", async () => {
    const cases: [string, () => Promise<string>, string, () => string][] = [
      [
        "no kid",
        () => token({ kid: null }),
        "InvalidAuthHeader",
        () => "Could not decode token. JWT may be missing a 'kid' (key ID) header.",
      ],
      [
        "an unknown kid",
        () => token({ kid: "key-2" }),
        "InvalidAuthHeader",
        () =>
          "Could not decode token. The JWT's 'kid' (key ID) header is 'key-2', does this key match any key in the provider's JWKS?",
      ],
      [
        "iat 30 s ahead",
        () => token({ issuedIn: 30 }),
        "InvalidAuthHeader",
        () => "Could not validate token: Token will be valid in 30 seconds",
      ],
      [
        "expired 120 s ago",
        () => token({ expiresIn: -120 }),
        "InvalidAuthHeader",
        () => "Could not validate token: Token expired 120 seconds ago",
      ],
      ["a wrong aud", () => token({ audience: "another-app" }), "NoAuthProvider", noProvider],
      [
        "a wrong iss",
        () => token({ issuer: "https://elsewhere.example" }),
        "NoAuthProvider",
        noProvider,
      ],
      [
        "a malformed token",
        () => Promise.resolve("not.a.jwt"),
        "InvalidAuthHeader",
        () =>
          "Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots.",
      ],
      [
        "alg none",
        () =>
          Promise.resolve(
            `${base64url({ alg: "none", kid: "test-key-1" })}.${base64url({
              iss: issuer.url,
              sub: "mallory",
              aud: "convex-graphql-test",
              exp: Math.floor(Date.now() / 1000) + 3600,
            })}.`,
          ),
        "InvalidAuthHeader",
        () =>
          "Could not decode token. The JWT's 'kid' (key ID) header is 'test-key-1', does this key match any key in the provider's JWKS?",
      ],
      [
        "a JWKS that is not JSON",
        () => token({ issuer: `${issuer.url}/bad-jwks` }),
        "InvalidAuthHeader",
        () =>
          `Invalid JWKS response body from '${issuer.url}/jwks-invalid'. The response is not valid JSON or doesn't match the expected JWKS format.`,
      ],
    ];
    for (const [what, make, code, message] of cases) {
      const signedAt = Date.now();
      const tokenText = await make();
      const answer = await refusal(tokenText);
      // Whole seconds, and as many may pass between signing and checking as
      // the round trip took (a loaded CI machine takes more than one).
      const slack = Math.ceil((Date.now() - signedAt) / 1000) + 1;
      expect(answer.code, what).toBe(code);
      const expected = message();
      expect(
        answer.message.replace(/(expired|in) (\d+) seconds/, (_m, w: string, n: string) => {
          const target = expected.match(/(\d+) seconds/)?.[1] ?? n;
          return Math.abs(Number(n) - Number(target)) <= slack ? `${w} ${target} seconds` : _m;
        }),
        what,
      ).toBe(expected);
    }
  });

  it("accepts an iat up to 5 s ahead", async () => {
    const client = httpClient(backend.url);
    client.setAuth(await token({ issuedIn: 3 }));
    expect((await step(client.query(fns.whoami, {}), "whoami"))?.subject).toBe("alice");
  });

  it("refuses a token whose JWKS endpoint hangs within the auth timeout, and keeps serving", async () => {
    const started = Date.now();
    const slow = refusal(await token({ issuer: `${issuer.url}/slow` }));
    // Meanwhile the backend answers others.
    const client = httpClient(backend.url);
    client.setAuth(await token({}));
    expect((await step(client.query(fns.whoami, {}), "whoami meanwhile"))?.subject).toBe("alice");
    const answer = await slow;
    expect(Date.now() - started).toBeLessThan(AUTH_TIMEOUT_MS + 4_000);
    expect(answer).toEqual({
      code: "InvalidAuthHeader",
      message: `Could not fetch JWKS from URL '${issuer.url}/jwks-hang': no answer within ${AUTH_TIMEOUT_MS} ms. Check that the URL is correct and accessible.`,
    });
  });
});

describe("the token matrix over the sync protocol", () => {
  it("answers a bad token with AuthError carrying Convex's message", async () => {
    await using socket = await RawSyncSocket.connect(backend.url);
    const value = await issuer.token("alice", {}, { kid: null });
    socket.send({ type: "Authenticate", baseVersion: 0, tokenType: "User", value });
    const error = await socket.expect("AuthError");
    expect(error).toEqual({
      type: "AuthError",
      error: "Could not decode token. JWT may be missing a 'kid' (key ID) header.",
      baseVersion: 0,
      authUpdateAttempted: true,
    });
    expect(await socket.expectClose()).toEqual({ code: 1000, reason: "AuthError" });
  });

  it("refuses a huge token before decoding it (HTTP headers cannot carry one)", async () => {
    await using socket = await RawSyncSocket.connect(backend.url);
    const value = await issuer.token("alice", { padding: "p".repeat(40_000) });
    socket.send({ type: "Authenticate", baseVersion: 0, tokenType: "User", value });
    expect(await socket.expect("AuthError")).toMatchObject({
      error: `Could not parse JWT payload: the token is ${value.length} bytes long, more than the 32768 bytes accepted.`,
    });
  });
});

describe("the admin key", () => {
  it("lets an admin call internal functions over HTTP; without it they do not exist", async () => {
    const admin = httpClient(backend.url);
    setAdminAuth(admin, backend.adminKey);
    expect(await step(admin.query(fns.secret, {}), "an internal query")).toBe("internal");
    expect(typeof (await step(admin.mutation(fns.bump, { body: "x" }), "internal mutation"))).toBe(
      "string",
    );
    expect(await step(admin.query(fns.whoami, {}), "whoami as admin")).toBeNull();

    const anonymous = httpClient(backend.url);
    await expect(step(anonymous.query(fns.secret, {}), "internal, anonymously")).rejects.toThrow(
      "Could not find public function for 'errors:secret'. Did you forget to run `npx convex dev`?",
    );
  });

  it("acts as a user over HTTP and over the sync protocol (setAdminAuth with an identity)", async () => {
    const acting = { issuer: "https://acting.example", subject: "bob", name: "Bob" };
    const admin = httpClient(backend.url);
    setAdminAuth(admin, backend.adminKey, acting);
    expect(await step(admin.query(fns.whoami, {}), "whoami acting as bob")).toEqual({
      ...acting,
      tokenIdentifier: "https://acting.example|bob",
    });

    await using client = syncClient(backend.url);
    setAdminAuth(client, backend.adminKey, acting);
    const seen = await step(
      new Promise<UserIdentity | null>((resolve) => {
        const unsubscribe = client.onUpdate(fns.whoami, {}, (value) => {
          if (value !== null) {
            unsubscribe();
            resolve(value);
          }
        });
      }),
      "whoami over the socket",
    );
    expect(seen).toMatchObject({ subject: "bob", tokenIdentifier: "https://acting.example|bob" });
    expect(await step(client.query(fns.secret, {}), "an internal query over the socket")).toBe(
      "internal",
    );
  });

  it("refuses a forged admin key with Convex's BadDeployKey", async () => {
    const response = await step(
      fetch(`${backend.url}/api/query`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Convex ${backend.adminKey.slice(0, -4)}beef`,
        },
        body: JSON.stringify({ path: "errors:secret", args: {}, format: "json" }),
      }),
      "a forged key",
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      code: "BadDeployKey",
      message:
        "The provided deploy key was invalid for this deployment. Double check that the environment this key was generated for matches the desired deployment.",
    });
  });
});
