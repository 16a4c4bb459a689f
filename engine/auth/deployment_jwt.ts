/**
 * Tokens the deployment signs itself: `ctx.auth.signJwt` in a mutation (convex 1.48's
 * `1.0/signJwt` syscall), as Convex Auth's core component mints its access tokens. ES256 with
 * the deployment's own key; Convex sets the header (`alg`, `typ`, `kid`) and the `iss`, `iat` and
 * `exp` claims: `iss` is `CONVEX_CLOUD_URL` for the app, `${CONVEX_CLOUD_URL}/components/<path>`
 * for a component. Anyone checks them against the public key at
 * `${CONVEX_CLOUD_URL}/.well-known/jwks.json` (jwks_route.ts), which an `auth.config.ts` provider
 * of `type: "customJwt"` names as its `jwks`.
 *
 * The key is a P-256 key derived from a secret kept in the data file (`globals`), so tokens stay
 * valid across restarts, and its `kid` is its RFC 7638 thumbprint.
 */
import { createECDH, createHmac, createPrivateKey, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, SignJWT, type JWK } from "jose";
import { FunctionFailure } from "../errors.ts";

/** `expiresInSeconds` bounds: at least a second, at most an hour (Convex's API docs). */
const MIN_EXPIRY_S = 1;
const MAX_EXPIRY_S = 3600;

/** Claims Convex sets itself. */
const RESERVED_CLAIMS = new Set(["iss", "iat", "exp", "nbf"]);
/** Claim names Convex keeps for itself, in any casing. */
const RESERVED_PREFIX = /^(convex|cvx)/i;

/** What a mutation asked to sign, checked. */
export interface SignJwtRequest {
  readonly claims: Readonly<Record<string, unknown>>;
  readonly expiresInSeconds: number;
}

/** Where and when a token is signed. */
export interface SignJwtContext {
  /** The deployment's `CONVEX_CLOUD_URL`. */
  readonly cloudUrl: string;
  /** The signing function's component (`""`: the app). */
  readonly componentPath: string;
  /** The function's `Date.now()`. */
  readonly nowMs: number;
}

/**
 * The syscall's arguments (`{requestId, version, claims?, expiresInSeconds}`) as a request.
 * @throws FunctionFailure naming what is wrong: an expiry out of range or not whole seconds, claims
 *   that are no object, a reserved claim.
 */
export function signJwtRequest(args: Readonly<Record<string, unknown>>): SignJwtRequest {
  const expiresInSeconds = args["expiresInSeconds"];
  if (
    typeof expiresInSeconds !== "number" ||
    !Number.isInteger(expiresInSeconds) ||
    expiresInSeconds < MIN_EXPIRY_S ||
    expiresInSeconds > MAX_EXPIRY_S
  ) {
    throw new FunctionFailure(
      `ctx.auth.signJwt: expiresInSeconds must be a whole number of seconds from ${MIN_EXPIRY_S} to ${MAX_EXPIRY_S} (1 hour), got ${JSON.stringify(expiresInSeconds) ?? "undefined"}.`,
    );
  }
  const claims = args["claims"] ?? {};
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new FunctionFailure("ctx.auth.signJwt: claims must be an object of JSON values.");
  }
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(name) || RESERVED_PREFIX.test(name)) {
      throw new FunctionFailure(
        `ctx.auth.signJwt: the claim "${name}" is reserved: Convex sets iss, iat and exp, nbf may not be set, and names starting with "convex" or "cvx" are Convex's.`,
      );
    }
  }
  return { claims: claims as Record<string, unknown>, expiresInSeconds };
}

/** The issuer of tokens signed by `componentPath` (`""`: the app) of the deployment at `cloudUrl`. */
export function deploymentIssuer(cloudUrl: string, componentPath: string): string {
  const base = cloudUrl.replace(/\/+$/, "");
  return componentPath === "" ? base : `${base}/components/${componentPath}`;
}

/** The deployment's signing key: signs tokens, publishes its public half. */
export class DeploymentJwtKey {
  private readonly privateKey: KeyObject;
  private readonly publicJwk: JWK;
  private kid: string | undefined;

  constructor(secret: Buffer) {
    const { d, x, y } = p256KeyFrom(secret);
    this.privateKey = createPrivateKey({
      key: { kty: "EC", crv: "P-256", d, x, y },
      format: "jwk",
    });
    this.publicJwk = { kty: "EC", crv: "P-256", x, y };
  }

  /** The JWKS served at `/.well-known/jwks.json`. */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [{ ...this.publicJwk, kid: await this.keyId(), alg: "ES256", use: "sig" }] };
  }

  /** A compact JWS of `request`'s claims with Convex's header and `iss`/`iat`/`exp`. */
  async sign(request: SignJwtRequest, context: SignJwtContext): Promise<string> {
    const issuedAt = Math.floor(context.nowMs / 1000);
    return new SignJWT(request.claims)
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: await this.keyId() })
      .setIssuer(deploymentIssuer(context.cloudUrl, context.componentPath))
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + request.expiresInSeconds)
      .sign(this.privateKey);
  }

  private async keyId(): Promise<string> {
    this.kid ??= await calculateJwkThumbprint(this.publicJwk, "sha256");
    return this.kid;
  }
}

/**
 * A P-256 key pair (base64url JWK members) derived from `secret`: the private scalar is an HMAC
 * of the secret, taken again with a counter in the rare case (below 2^-32) that it is out of the
 * curve's range.
 */
function p256KeyFrom(secret: Buffer): { d: string; x: string; y: string } {
  const ecdh = createECDH("prime256v1");
  for (let counter = 0; ; counter++) {
    const scalar = createHmac("sha256", secret).update(`jwt signing key ${counter}`).digest();
    try {
      ecdh.setPrivateKey(scalar);
    } catch {
      continue; // zero or not below the curve's order
    }
    const point = ecdh.getPublicKey(); // 0x04 || x || y
    return {
      d: scalar.toString("base64url"),
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
    };
  }
}
