/**
 * `GET /.well-known/jwks.json` on the deployment's URL: the public key of the tokens functions
 * sign with `ctx.auth.signJwt` (deployment_jwt.ts), where Convex publishes it. An
 * `auth.config.ts` provider of `type: "customJwt"` names this URL as its `jwks` (Convex Auth's
 * `convexAuthProvider()` does), and anyone may verify the tokens with it.
 */
import type http from "node:http";
import type { DeploymentJwtKey } from "../auth/deployment_jwt.ts";

export const JWKS_PATH = "/.well-known/jwks.json";

/** Key sets change only with the data file: verifiers may keep one for a few minutes. */
const CACHE_CONTROL = "public, max-age=300";

/** Answers the key set (GET or HEAD; other methods: 405). */
export async function handleJwksRequest(
  key: DeploymentJwtKey,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" });
    res.end(JSON.stringify({ code: "MethodNotAllowed", message: `${JWKS_PATH} answers GET.` }));
    return;
  }
  const text = JSON.stringify(await key.jwks());
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": CACHE_CONTROL,
    "access-control-allow-origin": "*",
  });
  res.end(req.method === "HEAD" ? undefined : text);
}
