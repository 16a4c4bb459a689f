/**
 * Authentication as Convex does it: `convex/auth.config.ts` lists providers, a client presents a
 * JWT, and the engine verifies it (with `jose`) against a matching provider:
 * - OIDC `{ domain, applicationID }`: issuer = domain, audience = applicationID, keys from the
 *   domain's `/.well-known/openid-configuration` `jwks_uri`;
 * - `{ type: "customJwt", issuer, jwks, algorithm, applicationID? }`: keys from the `jwks` URL
 *   or an inline `data:` URI.
 * The identity is Convex's shape: `tokenIdentifier` = `issuer|subject`, standard claims in
 * camelCase, other claims flattened in.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import type { UserIdentity } from "../runtime/execution.ts";

/** A token that cannot be accepted; the message says why. */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthenticationError";
  }
}

interface OidcProvider {
  readonly kind: "oidc";
  readonly issuer: string;
  readonly applicationID: string;
}

interface CustomJwtProvider {
  readonly kind: "customJwt";
  readonly issuer: string;
  readonly jwks: string;
  readonly algorithm: string;
  readonly applicationID: string | null;
}

type Provider = OidcProvider | CustomJwtProvider;

/** Standard OIDC claims and the camelCase names Convex gives them. */
const CLAIM_NAMES: Record<string, string> = {
  iss: "issuer",
  sub: "subject",
  name: "name",
  given_name: "givenName",
  family_name: "familyName",
  nickname: "nickname",
  preferred_username: "preferredUsername",
  profile: "profileUrl",
  picture: "pictureUrl",
  website: "websiteUrl",
  email: "email",
  email_verified: "emailVerified",
  gender: "gender",
  birthdate: "birthday",
  zoneinfo: "timezone",
  locale: "language",
  phone_number: "phoneNumber",
  phone_number_verified: "phoneNumberVerified",
  address: "address",
  updated_at: "updatedAt",
};

/** JWT registered claims that are not part of the identity. */
const DROPPED_CLAIMS = new Set(["aud", "exp", "iat", "nbf", "jti", "azp"]);

function trimSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}

/** Parses the default export of `auth.config.ts`. @throws Error naming the bad provider. */
export function parseAuthConfig(config: unknown): Provider[] {
  if (config === undefined || config === null) return [];
  const providers = (config as { providers?: unknown }).providers;
  if (!Array.isArray(providers))
    throw new Error("auth.config.ts must export { providers: [...] }.");
  return providers.map((raw: unknown, index): Provider => {
    const provider = raw as Record<string, unknown>;
    if (provider["type"] === "customJwt") {
      const { issuer, jwks, algorithm, applicationID } = provider;
      if (typeof issuer !== "string" || typeof jwks !== "string" || typeof algorithm !== "string") {
        throw new Error(
          `auth.config.ts provider ${index}: customJwt needs string issuer, jwks and algorithm.`,
        );
      }
      return {
        kind: "customJwt",
        issuer,
        jwks,
        algorithm,
        applicationID: typeof applicationID === "string" ? applicationID : null,
      };
    }
    const { domain, applicationID } = provider;
    if (typeof domain !== "string" || typeof applicationID !== "string") {
      throw new Error(
        `auth.config.ts provider ${index}: needs a string domain and applicationID (or type: "customJwt").`,
      );
    }
    return { kind: "oidc", issuer: trimSlash(domain), applicationID };
  });
}

function keySetFromJwks(jwks: string): JWTVerifyGetKey {
  if (jwks.startsWith("data:")) {
    const comma = jwks.indexOf(",");
    const meta = jwks.slice(5, comma);
    const payload = jwks.slice(comma + 1);
    const text = meta.endsWith(";base64")
      ? Buffer.from(payload, "base64").toString("utf8")
      : decodeURIComponent(payload);
    return createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
  }
  return createRemoteJWKSet(new URL(jwks));
}

/** Builds Convex's identity object from verified claims. */
export function identityFromClaims(payload: JWTPayload): UserIdentity {
  const iss = payload.iss;
  const sub = payload.sub;
  if (typeof iss !== "string" || typeof sub !== "string") {
    throw new AuthenticationError("Token is missing the iss or sub claim.");
  }
  const identity: Record<string, unknown> = { tokenIdentifier: `${iss}|${sub}` };
  for (const [claim, value] of Object.entries(payload)) {
    if (DROPPED_CLAIMS.has(claim)) continue;
    identity[CLAIM_NAMES[claim] ?? claim] = value;
  }
  return identity as UserIdentity;
}

export class Authenticator {
  private readonly providers: Provider[];
  private readonly keySets = new Map<Provider, JWTVerifyGetKey>();

  /** @throws Error when the configuration is invalid. */
  constructor(config: unknown) {
    this.providers = parseAuthConfig(config);
  }

  get hasProviders(): boolean {
    return this.providers.length > 0;
  }

  private async keySet(provider: Provider): Promise<JWTVerifyGetKey> {
    const cached = this.keySets.get(provider);
    if (cached !== undefined) return cached;
    let keySet: JWTVerifyGetKey;
    if (provider.kind === "customJwt") {
      keySet = keySetFromJwks(provider.jwks);
    } else {
      const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
      if (!response.ok) {
        throw new AuthenticationError(
          `Could not fetch the OpenID configuration of ${provider.issuer} (HTTP ${response.status}).`,
        );
      }
      const discovery = (await response.json()) as { jwks_uri?: unknown };
      if (typeof discovery.jwks_uri !== "string") {
        throw new AuthenticationError(
          `The OpenID configuration of ${provider.issuer} has no jwks_uri.`,
        );
      }
      keySet = createRemoteJWKSet(new URL(discovery.jwks_uri));
    }
    this.keySets.set(provider, keySet);
    return keySet;
  }

  /**
   * Verifies `token` against the provider whose issuer (and audience) it names.
   * @throws AuthenticationError with Convex-like wording when no provider accepts it.
   */
  async verify(token: string): Promise<UserIdentity> {
    return (await this.verifyWithExpiry(token)).identity;
  }

  /** Like `verify`, also returning when the token expires (ms since the epoch; null if never). */
  async verifyWithExpiry(
    token: string,
  ): Promise<{ identity: UserIdentity; expiresAtMs: number | null }> {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new AuthenticationError(
        "Could not parse JWT payload. Check that the token is a valid JWT format.",
      );
    }
    const audiences =
      claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const provider = this.providers.find(
      (candidate) =>
        trimSlash(candidate.issuer) === trimSlash(claims.iss ?? "") &&
        (candidate.kind === "customJwt" && candidate.applicationID === null
          ? true
          : audiences.includes(candidate.applicationID ?? "")),
    );
    if (provider === undefined) {
      throw new AuthenticationError(
        `No auth provider found matching the given token (issuer "${claims.iss ?? ""}", audience ${JSON.stringify(claims.aud ?? null)}). Check that your JWT's issuer and audience match one of your configured providers in auth.config.ts.`,
      );
    }
    try {
      const { payload } = await jwtVerify(token, await this.keySet(provider), {
        issuer: claims.iss ?? provider.issuer,
        ...(provider.applicationID !== null ? { audience: provider.applicationID } : {}),
        ...(provider.kind === "customJwt" ? { algorithms: [provider.algorithm] } : {}),
      });
      return {
        identity: identityFromClaims(payload),
        expiresAtMs: typeof payload.exp === "number" ? payload.exp * 1000 : null,
      };
    } catch (error) {
      if (error instanceof AuthenticationError) throw error;
      const code = (error as { code?: string }).code;
      if (code === "ERR_JWT_EXPIRED") throw new AuthenticationError("Token expired");
      throw new AuthenticationError(`Could not verify token claim: ${(error as Error).message}`);
    }
  }
}
