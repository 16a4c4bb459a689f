/**
 * Authentication as Convex applies it: `convex/auth.config.ts` lists providers, a client
 * presents a JWT, and the engine routes it to the provider its `iss` (and `aud`) names, then
 * verifies it with `jose` against that provider's keys:
 * - a token no provider matches: `NoAuthProvider`, listing the configured providers;
 * - a malformed token, no `kid`, an unknown `kid`, a bad signature, an algorithm other than the
 *   provider's, a JWKS that cannot be read, a wrong issuer or audience, `exp` more than 5 s ago
 *   or `iat`/`nbf` more than 5 s ahead: `InvalidAuthHeader` with Convex's message (OIDC
 *   providers: `Unauthenticated`, as Convex words their failures);
 * - every key fetch has a time limit (`timeoutMs`), so a JWKS endpoint that hangs refuses the
 *   token in bounded time while everything else keeps being served.
 * The identity is Convex's shape (claims.ts).
 */
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import {
  AUTH_TEXTS,
  invalidAudienceText,
  invalidIssuerText,
  noAuthProviderText,
  tokenTooLargeText,
  unknownKidText,
} from "../convex_messages.ts";
import type { UserIdentity } from "../runtime/execution.ts";
import { AuthenticationError } from "./auth_error.ts";
import {
  describeProvider,
  parseAuthConfig,
  providerMatches,
  trimSlash,
  type CustomJwtProvider,
  type OidcProvider,
  type Provider,
} from "./auth_config.ts";
import { audiencesOf, identityFromClaims, temporalProblem } from "./claims.ts";
import { KeySets } from "./key_sets.ts";

export { AuthenticationError } from "./auth_error.ts";
export { parseAuthConfig } from "./auth_config.ts";
export { identityFromClaims } from "./claims.ts";

/** The longest token read (checked before anything decodes it). */
export const MAX_TOKEN_BYTES = 32 * 1024;
/** The default time limit of each key fetch. @default 10_000 // ms */
export const DEFAULT_AUTH_TIMEOUT_MS = 10_000;
/** The algorithms Convex accepts from OIDC providers. */
const OIDC_ALGORITHMS = ["RS256", "EdDSA"];

/** A verified token: the identity and when it expires (ms since the epoch; null if never). */
export interface VerifiedToken {
  readonly identity: UserIdentity;
  readonly expiresAtMs: number | null;
}

function invalid(message: string): AuthenticationError {
  return new AuthenticationError("InvalidAuthHeader", message);
}

/** The unverified claims, or InvalidAuthHeader when the token is not a JWT. */
function unverifiedClaims(token: string): JWTPayload {
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
    throw invalid(tokenTooLargeText(Buffer.byteLength(token), MAX_TOKEN_BYTES));
  }
  try {
    return decodeJwt(token);
  } catch {
    throw invalid(AUTH_TEXTS.malformed);
  }
}

/** The `kid` of the token's header. @throws InvalidAuthHeader when it has none. */
function kidOf(token: string): string {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw invalid(AUTH_TEXTS.malformed);
  }
  if (typeof kid !== "string") throw invalid(AUTH_TEXTS.missingKid);
  return kid;
}

/** `https://` is assumed for an issuer written without a protocol (as Convex does). */
function withProtocol(issuer: string): string {
  return /^https?:\/\//.test(issuer) ? issuer : `https://${issuer}`;
}

/** Verifies tokens against the providers of one `auth.config.ts`. */
export class Authenticator {
  private readonly providers: Provider[];
  private readonly keySets: KeySets;

  /**
   * @param config - the default export of `auth.config.ts` (undefined: none).
   * @param timeoutMs - time limit of each key fetch. @default DEFAULT_AUTH_TIMEOUT_MS
   * @throws Error when the configuration is invalid.
   */
  constructor(config: unknown, timeoutMs = DEFAULT_AUTH_TIMEOUT_MS) {
    this.providers = parseAuthConfig(config);
    this.keySets = new KeySets(timeoutMs);
  }

  get hasProviders(): boolean {
    return this.providers.length > 0;
  }

  /** Verifies `token`. @throws AuthenticationError with Convex's code and message. */
  async verify(token: string): Promise<UserIdentity> {
    return (await this.verifyWithExpiry(token)).identity;
  }

  /** Like `verify`, also returning when the token expires. */
  async verifyWithExpiry(token: string): Promise<VerifiedToken> {
    const claims = unverifiedClaims(token);
    if (typeof claims.iss !== "string") throw invalid(AUTH_TEXTS.missingIssuer);
    const issuer = claims.iss;
    const provider = this.providers.find((p) => providerMatches(p, issuer, audiencesOf(claims)));
    if (provider === undefined) {
      throw new AuthenticationError(
        "NoAuthProvider",
        noAuthProviderText(this.providers.map(describeProvider)),
      );
    }
    const payload =
      provider.kind === "customJwt"
        ? await this.verifyCustomJwt(token, provider)
        : await this.verifyOidc(token, provider);
    const identity = identityFromClaims(payload);
    if (identity === null) throw invalid(AUTH_TEXTS.invalidClaims);
    return {
      identity,
      expiresAtMs: typeof payload.exp === "number" ? payload.exp * 1000 : null,
    };
  }

  /** Checks the signature with the key `kid` names; refetches the key set once if it lacks it. */
  private async signedPayload(
    token: string,
    jwksUri: string,
    algorithms: string[],
  ): Promise<JWTPayload> {
    const kid = kidOf(token);
    for (const refresh of [false, true]) {
      const keys = await this.keySets.keys(jwksUri, refresh);
      try {
        const { payload } = await compactVerify(token, keys, { algorithms });
        return JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
      } catch (error) {
        if ((error as { code?: string }).code !== "ERR_JWKS_NO_MATCHING_KEY") break;
      }
    }
    throw invalid(unknownKidText(kid));
  }

  private async verifyCustomJwt(token: string, provider: CustomJwtProvider): Promise<JWTPayload> {
    const payload = await this.signedPayload(token, provider.jwks, [provider.algorithm]);
    const tokenIssuer = payload.iss;
    if (typeof tokenIssuer !== "string") throw invalid(AUTH_TEXTS.missingIssuer);
    if (trimSlash(withProtocol(tokenIssuer)) !== trimSlash(provider.issuer)) {
      throw invalid(invalidIssuerText(tokenIssuer, provider.issuer));
    }
    if (provider.applicationID !== null) {
      if (payload.aud === undefined) throw invalid(AUTH_TEXTS.missingAudience);
      const audiences = audiencesOf(payload);
      if (!audiences.includes(provider.applicationID)) {
        throw invalid(invalidAudienceText(provider.applicationID, audiences));
      }
    }
    const problem = temporalProblem(payload, Date.now() / 1000);
    if (problem !== null) throw invalid(problem);
    return payload;
  }

  /** OIDC: keys through discovery; any failure is Convex's one `Unauthenticated` message. */
  private async verifyOidc(token: string, provider: OidcProvider): Promise<JWTPayload> {
    kidOf(token); // a token without `kid` is refused before any key is fetched
    const jwksUri = await this.keySets.discoveredJwksUri(provider.issuer);
    let payload: JWTPayload;
    try {
      payload = await this.signedPayload(token, jwksUri, OIDC_ALGORITHMS);
    } catch {
      throw new AuthenticationError("Unauthenticated", AUTH_TEXTS.oidcUnverified);
    }
    const audiences = audiencesOf(payload);
    const wrongIssuer = trimSlash(String(payload.iss)) !== provider.issuer;
    if (
      wrongIssuer ||
      !audiences.includes(provider.applicationID) ||
      temporalProblem(payload, Date.now() / 1000) !== null
    ) {
      throw new AuthenticationError("Unauthenticated", AUTH_TEXTS.oidcUnverified);
    }
    return payload;
  }
}
