/**
 * A local JWT issuer for the gateway's auth tests: an RS256 key pair from `jose`, its public key
 * served as a JWKS by `node:http` on 127.0.0.1:0, and a signer. A second key pair that the JWKS
 * does not hold signs tokens that must be refused. Disposable with `await using`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair } from "jose";

/** The `applicationID` (JWT audience) of the fixture app's provider. */
export const TEST_APPLICATION_ID = "convex-graphql-test";

const KEY_ID = "gateway-test-key";

export interface TokenOptions {
  /** Seconds from now until `exp`; negative makes an expired token. @default 3600 */
  readonly expiresIn?: number;
  /** Sign with a key the JWKS does not hold (same `kid`). @default false */
  readonly wrongKey?: boolean;
}

export interface TestIssuer extends AsyncDisposable {
  /** The issuer (`iss`): `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Signs a token for `subject`. */
  token(subject: string, options?: TokenOptions): Promise<string>;
}

/** Starts an issuer on 127.0.0.1:0. */
export async function startTestIssuer(): Promise<TestIssuer> {
  const [keys, stranger] = await Promise.all([generateKeyPair("RS256"), generateKeyPair("RS256")]);
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: KEY_ID, alg: "RS256", use: "sig" };
  const jwks = JSON.stringify({ keys: [jwk] });
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/jwks") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(jwks);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async token(subject, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = options.expiresIn ?? 3600;
      return new SignJWT({ name: subject })
        .setProtectedHeader({ alg: "RS256", kid: KEY_ID, typ: "JWT" })
        .setIssuer(url)
        .setSubject(subject)
        .setAudience(TEST_APPLICATION_ID)
        .setIssuedAt(expiresIn > 0 ? now : now + expiresIn - 60)
        .setExpirationTime(now + expiresIn)
        .sign(options.wrongKey === true ? stranger.privateKey : keys.privateKey);
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
