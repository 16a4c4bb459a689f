/**
 * Tokens the deployment signs itself (`ctx.auth.signJwt`, convex 1.48) and Convex Auth 2.0, which
 * is built on them, against `test/fixtures/convex_auth_app` (written as Convex Auth's docs set an
 * app up: its core, password and username components, `convexAuthProvider()` in
 * `auth.config.ts`, plus a mutation that signs a token of its own). The stories: the public key
 * is served at `/.well-known/jwks.json` and verifies what a mutation signs, with Convex's header
 * and `iss`/`iat`/`exp`; a component's tokens name it in `iss`; bad requests are refused by name;
 * the key survives a restart; and a user signs up with a username and password (argon2id in
 * WebAssembly), is recognised by her access token over HTTP and WebSocket, and a live query sees
 * her sign out; the GitHub method's component serves its OAuth callback under its `httpPrefix`.
 */
import path from "node:path";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, type TestBackend } from "../utils/backend.ts";
import { httpClient, serve, syncClient } from "../sync/support/clients.ts";
import { step } from "../utils/waits.ts";

const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "convex_auth_app");

type Tokens = { accessToken: string; refreshToken: string; userId: string };
type SignInResult =
  { status: "complete"; tokens: Tokens } | { status: "error"; userError: { error: string } };
type Credentials = { username: string; password: string };

const fns = {
  sign: makeFunctionReference<"mutation", { claims?: unknown; expiresInSeconds: number }, string>(
    "tokens:sign",
  ),
  signFromQuery: makeFunctionReference<"query", Record<string, never>, string>(
    "tokens:signFromQuery",
  ),
  signUp: makeFunctionReference<"mutation", Credentials, SignInResult>(
    "auth:signUpWithUsernamePassword",
  ),
  signIn: makeFunctionReference<"mutation", Credentials, SignInResult>(
    "auth:signInWithUsernamePassword",
  ),
  signOut: makeFunctionReference<"mutation", { refreshToken: string }, null>("auth:signOut"),
  isAuthenticated: makeFunctionReference<"query", Record<string, never>, boolean>(
    "auth:isAuthenticated",
  ),
  viewer: makeFunctionReference<"query", Record<string, never>, { _id: string } | null>(
    "users:viewer",
  ),
  addNote: makeFunctionReference<"mutation", { body: string }, string>("notes:add"),
  startGithub: makeFunctionReference<
    "mutation",
    { redirectTo: string },
    { redirect: string; state: string }
  >("auth:startSignInWithGithub"),
  myNotes: makeFunctionReference<"query", Record<string, never>, { body: string }[]>("notes:mine"),
};

let backend: TestBackend;

/** The GitHub OAuth app the fixture's `convex.config.ts` binds to its `authGithub` component. */
const GITHUB_APP = { AUTH_GITHUB_CLIENT_ID: "Iv1.test", AUTH_GITHUB_CLIENT_SECRET: "secret" };

beforeAll(async () => {
  backend = await serve({ dir: APP_DIR, env: GITHUB_APP });
}, 60_000);

afterAll(() => backend?.[Symbol.asyncDispose]());

async function keySet(url: string): Promise<JSONWebKeySet> {
  const response = await fetch(`${url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

function completed(result: SignInResult): Tokens {
  if (result.status !== "complete") throw new Error(`sign-in failed: ${JSON.stringify(result)}`);
  return result.tokens;
}

describe("ctx.auth.signJwt", () => {
  it("serves one ES256 public key at /.well-known/jwks.json, cacheable and open to any origin", async () => {
    const response = await fetch(`${backend.url}/.well-known/jwks.json`);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const { keys } = (await response.json()) as JSONWebKeySet;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(keys[0]).not.toHaveProperty("d");
    const post = await fetch(`${backend.url}/.well-known/jwks.json`, { method: "POST" });
    expect(post.status).toBe(405);
  });

  it("signs a mutation's claims with Convex's header, iss, iat and exp", async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = { sub: "ada", scope: ["read"], profile: { plan: "pro" } };
    const token = await httpClient(backend.url).mutation(fns.sign, {
      claims,
      expiresInSeconds: 120,
    });
    const jwks = createLocalJWKSet(await keySet(backend.url));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: backend.url,
      algorithms: ["ES256"],
    });
    expect(protectedHeader).toEqual({
      alg: "ES256",
      typ: "JWT",
      kid: (await keySet(backend.url)).keys[0]?.kid,
    });
    expect(payload).toMatchObject(claims);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(payload.exp).toBe((payload.iat ?? 0) + 120);
  });

  it("refuses an expiry outside 1 s - 1 h, reserved claims and claims that are no object", async () => {
    const client = httpClient(backend.url);
    const refusal = (args: { claims?: unknown; expiresInSeconds: number }) =>
      client.mutation(fns.sign, args).then(
        () => "signed",
        (error: Error) => error.message,
      );
    for (const expiresInSeconds of [0, 3601, 1.5]) {
      expect(await refusal({ expiresInSeconds })).toContain(
        `expiresInSeconds must be a whole number of seconds from 1 to 3600 (1 hour), got ${expiresInSeconds}`,
      );
    }
    for (const name of ["iss", "exp", "iat", "nbf", "convexUser", "CVX_role"]) {
      expect(await refusal({ claims: { [name]: 1 }, expiresInSeconds: 60 })).toContain(
        `the claim "${name}" is reserved`,
      );
    }
    expect(await refusal({ claims: ["sub"], expiresInSeconds: 60 })).toContain(
      "claims must be an object of JSON values",
    );
    expect(await refusal({ expiresInSeconds: 3600 })).toBe("signed");
  });

  it("is refused outside mutations", async () => {
    await expect(httpClient(backend.url).query(fns.signFromQuery, {})).rejects.toThrow(
      "ctx.auth.signJwt is only available in mutations.",
    );
  });

  it("keeps its key across a restart: earlier tokens still verify", async () => {
    await using first = await serve({ dir: APP_DIR, env: GITHUB_APP });
    const token = await httpClient(first.url).mutation(fns.sign, { expiresInSeconds: 60 });
    const { kid } = decodeProtectedHeader(token);
    await first.close();
    await using again = await serve({ dir: APP_DIR, dataFile: first.dataFile });
    const keys = await keySet(again.url);
    expect(keys.keys[0]?.kid).toBe(kid);
    await expect(jwtVerify(token, createLocalJWKSet(keys))).resolves.toBeDefined();
    expect((await keySet(backend.url)).keys[0]?.kid).not.toBe(kid); // another data file's key
  }, 60_000);
});

describe("Convex Auth 2.0 (username and password)", () => {
  const ada = { username: "ada", password: "correct horse battery" };

  it("signs a user up: a component-issued access token for her session", async () => {
    const tokens = completed(await httpClient(backend.url).mutation(fns.signUp, ada));
    const { payload } = await jwtVerify(
      tokens.accessToken,
      createLocalJWKSet(await keySet(backend.url)),
    );
    expect(payload.iss).toBe(`${backend.url}/components/auth`);
    expect(payload.aud).toBe("convex-auth");
    expect(payload.exp).toBe((payload.iat ?? 0) + 60); // Convex Auth's default lifetime
    const again = await httpClient(backend.url).mutation(fns.signUp, ada);
    expect(again).toEqual({ status: "error", userError: { error: "USERNAME_TAKEN" } });
  });

  it("tells a wrong password and an unknown user apart from a sign-in", async () => {
    const client = httpClient(backend.url);
    const wrong = await client.mutation(fns.signIn, { ...ada, password: "not her password" });
    expect(wrong).toEqual({ status: "error", userError: { error: "INVALID_CREDENTIALS" } });
    const nobody = await client.mutation(fns.signIn, { ...ada, username: "nobody" });
    expect(nobody).toEqual({ status: "error", userError: { error: "USER_NOT_FOUND" } });
  });

  it("recognises her by her access token over HTTP: her user, her notes", async () => {
    const tokens = completed(await httpClient(backend.url).mutation(fns.signIn, ada));
    const client = httpClient(backend.url);
    expect(await client.query(fns.viewer, {})).toBeNull();
    client.setAuth(tokens.accessToken);
    expect((await client.query(fns.viewer, {}))?._id).toBe(tokens.userId);
    await client.mutation(fns.addNote, { body: "signed in" });
    expect(await client.query(fns.myNotes, {})).toMatchObject([{ body: "signed in" }]);
  });

  it("ends her session on sign-out: a live query over WebSocket turns false", async () => {
    const tokens = completed(await httpClient(backend.url).mutation(fns.signIn, ada));
    await using client = syncClient(backend.url);
    client.setAuth(() => Promise.resolve(tokens.accessToken));
    const seen: boolean[] = [];
    let changed: () => void = () => {};
    const unsubscribe = client.onUpdate(fns.isAuthenticated, {}, (value) => {
      seen.push(value);
      changed();
    });
    const next = (what: string) => step(new Promise<void>((resolve) => (changed = resolve)), what);
    await next("the first result");
    expect(seen).toEqual([true]);
    const signedOut = next("the result after sign-out");
    await httpClient(backend.url).mutation(fns.signOut, { refreshToken: tokens.refreshToken });
    await signedOut;
    expect(seen).toEqual([true, false]);
    unsubscribe();
  });
});

describe("Convex Auth 2.0 (GitHub): a component's HTTP routes under its httpPrefix", () => {
  it("hands out GitHub's authorization URL with the callback under the component's prefix", async () => {
    const started = await httpClient(backend.url).mutation(fns.startGithub, {
      redirectTo: "http://localhost:5173/",
    });
    const url = new URL(started.redirect);
    expect(url.origin + url.pathname).toBe("https://github.com/login/oauth/authorize");
    expect(url.searchParams.get("client_id")).toBe(GITHUB_APP.AUTH_GITHUB_CLIENT_ID);
    // The component's CONVEX_SITE_URL carries its mount, `/oauth/github`.
    expect(url.searchParams.get("redirect_uri")).toBe(`${backend.siteUrl}/oauth/github/callback`);
    expect(url.searchParams.get("state")).toBe(started.state);
  });

  it("serves the component's callback route there, and only its routes", async () => {
    const callback = await fetch(`${backend.siteUrl}/oauth/github/callback?code=c&state=unknown`, {
      redirect: "manual",
    });
    expect(callback.status).toBe(400);
    expect(await callback.text()).toContain("This sign-in link has expired or was already used.");
    const other = await fetch(`${backend.siteUrl}/oauth/github/elsewhere`);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe("No HttpAction routed for /oauth/github/elsewhere");
    // Outside the mount, the app's own routes (it has no http.ts).
    const app = await fetch(`${backend.siteUrl}/callback`);
    expect(await app.text()).toBe("This Convex deployment does not have HTTP actions enabled.");
  });
});

describe("variables declared in convex.config.ts", () => {
  it("refuses to load without a required one, naming it, and loads once it is set", async () => {
    await using bare = await serve({ dir: APP_DIR });
    const refused = await bare.engine.reload();
    expect(refused.ok).toBe(false);
    expect(refused.problems.map((problem) => problem.reason)).toEqual([
      "Environment variable AUTH_GITHUB_CLIENT_ID is declared in convex.config.ts but not set: set it with `convex-graphql env set AUTH_GITHUB_CLIENT_ID <value>` (or `npx convex env set`), or declare it with v.optional(...).",
      "Environment variable AUTH_GITHUB_CLIENT_SECRET is declared in convex.config.ts but not set: set it with `convex-graphql env set AUTH_GITHUB_CLIENT_SECRET <value>` (or `npx convex env set`), or declare it with v.optional(...).",
    ]);
    const changes = Object.entries(GITHUB_APP).map(([name, value]) => ({ name, value }));
    const loaded = await bare.engine.setEnvironmentVariables(changes);
    expect(loaded.ok).toBe(true);
  }, 60_000);
});
