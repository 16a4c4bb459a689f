/**
 * An app that signs its users in with Convex Auth 2.0 (`test/fixtures/convex_auth_app`, set up as
 * Convex Auth's docs do it: username and password, `convexAuthProvider()`), served through the
 * gateway as a GraphQL client uses it: the sign-up and sign-in mutations' results are GraphQL
 * unions told apart by `status` (their user errors too, by `error`), the access token they hand
 * out is the client's `Authorization: Bearer` header over HTTP and its `connectionParams` over
 * graphql-ws, and a live subscription sees the session end when the user signs out.
 */
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { isUnionType } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../utils/backend.ts";
import {
  appSchemaOf,
  data,
  record,
  useSharedServers,
  wsClient,
} from "../gateway/support/gateway.ts";
import { fieldsOf } from "./support/signed_in_app.ts";

const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "convex_auth_app");

// The GitHub OAuth app its convex.config.ts declares (required variables).
const GITHUB_APP = { AUTH_GITHUB_CLIENT_ID: "Iv1.test", AUTH_GITHUB_CLIENT_SECRET: "secret" };
const servers = useSharedServers({ dir: APP_DIR, env: GITHUB_APP });
let schema: GraphQLSchema;

beforeAll(async () => {
  schema = (await appSchemaOf(APP_DIR)).current();
}, 120_000); // a cold inference on a clean machine

const SIGN_UP = `mutation ($u: String!, $p: String!) {
  authSignUpWithUsernamePassword(username: $u, password: $p) {
    __typename
    ... on AuthSignUpWithUsernamePasswordResultComplete { tokens { accessToken refreshToken userId } }
    ... on AuthSignUpWithUsernamePasswordResultError {
      userError { __typename ... on AuthSignUpWithUsernamePasswordResultErrorUserErrorPasswordTooShort { minimumLength } }
    }
  }
}`;

const SIGN_IN = `mutation ($u: String!, $p: String!) {
  authSignInWithUsernamePassword(username: $u, password: $p) {
    __typename
    ... on AuthSignInWithUsernamePasswordResultComplete { tokens { accessToken refreshToken userId } }
    ... on AuthSignInWithUsernamePasswordResultError { userError { __typename } }
  }
}`;

type Tokens = { accessToken: string; refreshToken: string; userId: string };

async function signUp(username: string): Promise<Tokens> {
  const answer = await data(servers.gateway.url, SIGN_UP, {
    u: username,
    p: "correct horse battery",
  });
  const result = answer["authSignUpWithUsernamePassword"] as { tokens?: Tokens };
  if (result.tokens === undefined) throw new Error(`sign-up failed: ${JSON.stringify(result)}`);
  return result.tokens;
}

function bearer(tokens: Tokens): Record<string, string> {
  return { authorization: `Bearer ${tokens.accessToken}` };
}

describe("Convex Auth 2.0 through the gateway", () => {
  it("types the sign-in results as unions, their user errors named after their codes", () => {
    const result = schema.getType("AuthSignInWithUsernamePasswordResult");
    expect(isUnionType(result) && result.getTypes().map(String)).toEqual([
      "AuthSignInWithUsernamePasswordResultComplete",
      "AuthSignInWithUsernamePasswordResultError",
    ]);
    const errors = schema.getType("AuthSignInWithUsernamePasswordResultErrorUserError");
    expect(isUnionType(errors) && errors.getTypes().map(String)).toContain(
      "AuthSignInWithUsernamePasswordResultErrorUserErrorInvalidCredentials",
    );
    // One object type for every function's identical token bundle (named after the first).
    const tokens = fieldsOf(schema, "AuthSignInWithUsernamePasswordResultComplete")["tokens"];
    expect(fieldsOf(schema, "AuthSignUpWithUsernamePasswordResultComplete")["tokens"]).toBe(tokens);
    expect(fieldsOf(schema, (tokens ?? "").replace("!", ""))).toEqual({
      accessToken: "String!",
      refreshToken: "String!",
      refreshTokenExpiresAt: "Float!",
      userId: "String!",
    });
    expect(fieldsOf(schema, "Query")).toMatchObject({
      authIsAuthenticated: "Boolean!",
      usersViewer: "User",
      notesMine: "[Note!]!",
    });
  });

  it("signs up and in, answering user errors as union members", async () => {
    const short = await data(servers.gateway.url, SIGN_UP, { u: "bob", p: "short" });
    expect(short).toEqual({
      authSignUpWithUsernamePassword: {
        __typename: "AuthSignUpWithUsernamePasswordResultError",
        userError: {
          __typename: "AuthSignUpWithUsernamePasswordResultErrorUserErrorPasswordTooShort",
          minimumLength: 10,
        },
      },
    });
    const tokens = await signUp("bob");
    const wrong = await data(servers.gateway.url, SIGN_IN, { u: "bob", p: "not his password" });
    expect(wrong).toEqual({
      authSignInWithUsernamePassword: {
        __typename: "AuthSignInWithUsernamePasswordResultError",
        userError: {
          __typename: "AuthSignInWithUsernamePasswordResultErrorUserErrorInvalidCredentials",
        },
      },
    });
    const right = await data(servers.gateway.url, SIGN_IN, {
      u: "bob",
      p: "correct horse battery",
    });
    expect(right["authSignInWithUsernamePassword"]).toMatchObject({
      __typename: "AuthSignInWithUsernamePasswordResultComplete",
      tokens: { userId: tokens.userId },
    });
  });

  it("knows the user by the access token in the Authorization header", async () => {
    const tokens = await signUp("cleo");
    await data(servers.gateway.url, `mutation { notesAdd(body: "mine") }`, {}, bearer(tokens));
    const mine = `{ usersViewer { _id } notesMine { body userId } }`;
    expect(await data(servers.gateway.url, mine, {}, bearer(tokens))).toEqual({
      usersViewer: { _id: tokens.userId },
      notesMine: [{ body: "mine", userId: tokens.userId }],
    });
    expect(await data(servers.gateway.url, mine)).toEqual({ usersViewer: null, notesMine: [] });
  });

  it("pushes the end of the session to a subscription when the user signs out", async () => {
    const tokens = await signUp("dora");
    await using socket = wsClient(servers.gateway.url, {
      connectionParams: { authorization: `Bearer ${tokens.accessToken}` },
    });
    using live = record(socket, {
      query: `query @live { authIsAuthenticated usersViewer { _id } }`,
    });
    expect((await live.next("the signed-in result")).data).toEqual({
      authIsAuthenticated: true,
      usersViewer: { _id: tokens.userId },
    });
    await data(servers.gateway.url, `mutation ($r: String!) { authSignOut(refreshToken: $r) }`, {
      r: tokens.refreshToken,
    });
    const after = await live.value(
      (result) => result.data?.["authIsAuthenticated"] === false,
      "the result after sign-out",
    );
    expect(after.data).toEqual({ authIsAuthenticated: false, usersViewer: null });
  });
});
