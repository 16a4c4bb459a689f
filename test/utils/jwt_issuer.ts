/**
 * A local JWT issuer for auth tests (engine and gateway): an RS256 key pair made with `jose`, its public key served
 * as a JWKS by `node:http` on 127.0.0.1:0, and a signer for tokens with any claims. A second
 * key pair (a "stranger") that the JWKS does not hold signs tokens that must be refused.
 * Disposable with `await using`.
 */
import http from "node:http";
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from "jose";
import { listenOnLoopback } from "../../lib/listen.ts";

/** The `applicationID` (JWT audience) of the fixture app's provider. */
export const TEST_APPLICATION_ID = "convex-graphql-test";

const KEY_ID = "test-key-1";

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

export interface TokenOptions {
  /** Seconds from now until `exp`; negative makes an expired token. @default 3600 */
  readonly expiresIn?: number;
  /** Sign with a key the JWKS does not hold (same `kid`). @default false */
  readonly wrongKey?: boolean;
  /** @default TEST_APPLICATION_ID */
  readonly audience?: string;
  /** The `kid` header; null leaves it out. @default the JWKS key's */
  readonly kid?: string | null;
  /** `iat` this many seconds from now (and `exp` an hour after it). */
  readonly issuedIn?: number;
  /** The `iss` claim. @default the issuer's URL */
  readonly issuer?: string;
}

export interface TestIssuer extends AsyncDisposable {
  /** The issuer (`iss`), e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Where the JWKS is served: `${url}/jwks`. */
  readonly jwksUrl: string;
  /** How many times the JWKS was fetched. */
  readonly jwksFetches: number;
  /** Signs a token for `subject` with extra `claims` (standard OIDC claims in snake_case). */
  token(subject: string, claims?: JWTPayload, options?: TokenOptions): Promise<string>;
}

/** Starts an issuer on 127.0.0.1:0. */
export async function startTestIssuer(): Promise<TestIssuer> {
  const [keys, stranger] = await Promise.all([generateKeyPair("RS256"), generateKeyPair("RS256")]);
  const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: KEY_ID, alg: "RS256", use: "sig" };
  const jwks = JSON.stringify({ keys: [publicJwk] });
  let jwksFetches = 0;
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/.well-known/openid-configuration") {
      // OIDC discovery, for providers configured as { domain, applicationID }.
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
      return;
    }
    if (req.method === "GET" && req.url === "/jwks-invalid") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("this is not a key set");
      return;
    }
    if (req.method === "GET" && req.url === "/jwks-hang") return; // never answers
    if (req.method === "GET" && req.url === "/jwks") {
      jwksFetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(jwks);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  const url = `http://127.0.0.1:${await listenOnLoopback(server)}`;

  async function sign(key: PrivateKey, subject: string, claims: JWTPayload, options: TokenOptions) {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn =
      options.issuedIn !== undefined ? options.issuedIn + 3600 : (options.expiresIn ?? 3600);
    const kid = options.kid === undefined ? KEY_ID : options.kid;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", ...(kid === null ? {} : { kid }) })
      .setIssuer(options.issuer ?? url)
      .setSubject(subject)
      .setAudience(options.audience ?? TEST_APPLICATION_ID)
      .setIssuedAt(
        options.issuedIn !== undefined
          ? now + options.issuedIn
          : expiresIn > 0
            ? now
            : now + expiresIn - 60,
      )
      .setExpirationTime(now + expiresIn)
      .sign(key);
  }

  return {
    url,
    jwksUrl: `${url}/jwks`,
    get jwksFetches() {
      return jwksFetches;
    },
    async token(subject, claims = {}, options = {}) {
      return sign(
        options.wrongKey ? stranger.privateKey : keys.privateKey,
        subject,
        claims,
        options,
      );
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
