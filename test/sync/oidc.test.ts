/**
 * An OIDC provider (`{ domain, applicationID }` in auth.config.ts): the engine discovers the
 * issuer's keys through `/.well-known/openid-configuration` and accepts its tokens, over the
 * sync protocol and the HTTP API; a token for another audience is refused.
 */
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../utils/backend.ts";
import { httpClient, serve, syncClient } from "./support/clients.ts";
import { startTestIssuer } from "../utils/jwt_issuer.ts";
import { step } from "../utils/waits.ts";

const OIDC_APP_DIR = path.join(REPO_ROOT, "test", "sync", "fixtures", "oidc_app");
const tokenIdentifier = makeFunctionReference<"query", Record<string, never>, string | null>(
  "identity:tokenIdentifier",
);

describe("an OIDC provider", () => {
  it("accepts the issuer's tokens, found through OpenID discovery", async () => {
    await using issuer = await step(startTestIssuer(), "the issuer to start");
    await using backend = await serve({ dir: OIDC_APP_DIR, env: { TEST_JWT_ISSUER: issuer.url } });
    const http = httpClient(backend.url);
    http.setAuth(await issuer.token("olivia"));
    expect(await http.query(tokenIdentifier, {})).toBe(`${issuer.url}|olivia`);

    await using client = syncClient(backend.url);
    const accepted = await step(
      new Promise<boolean>((resolve) => {
        client.setAuth(() => issuer.token("olivia"), resolve);
      }),
      "the sync protocol to accept the token",
    );
    expect(accepted).toBe(true);
    expect(await client.query(tokenIdentifier, {})).toBe(`${issuer.url}|olivia`);

    const stranger = httpClient(backend.url);
    stranger.setAuth(await issuer.token("olivia", {}, { audience: "another-app" }));
    await expect(stranger.query(tokenIdentifier, {})).rejects.toThrow(/No auth provider found/);
  });
});
