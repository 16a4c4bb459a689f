/**
 * `convex/auth.config.ts` as Convex reads it: `{ providers: [...] }`, each provider either OIDC
 * (`{ domain, applicationID }`) or a custom JWT issuer (`{ type: "customJwt", issuer, jwks,
 * algorithm, applicationID? }`).
 */
import type { ProviderDescription } from "../convex_messages.ts";

/** An OIDC provider: keys found through the issuer's OpenID discovery document. */
export interface OidcProvider {
  readonly kind: "oidc";
  /** The domain as written in auth.config.ts (shown in messages). */
  readonly domain: string;
  /** The domain without a trailing slash (compared with `iss`). */
  readonly issuer: string;
  readonly applicationID: string;
}

/** A custom JWT provider: keys from a JWKS URL or an inline `data:` URI. */
export interface CustomJwtProvider {
  readonly kind: "customJwt";
  readonly issuer: string;
  readonly jwks: string;
  /** The only algorithm its tokens may be signed with (`RS256` or `ES256`). */
  readonly algorithm: string;
  readonly applicationID: string | null;
}

export type Provider = OidcProvider | CustomJwtProvider;

/** The algorithms Convex accepts from custom JWT providers. */
const CUSTOM_JWT_ALGORITHMS = new Set(["RS256", "ES256"]);

/** `url` without its trailing slashes. */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function parseCustomJwt(provider: Record<string, unknown>, index: number): CustomJwtProvider {
  const { issuer, jwks, algorithm, applicationID } = provider;
  if (typeof issuer !== "string" || typeof jwks !== "string" || typeof algorithm !== "string") {
    throw new Error(
      `auth.config.ts provider ${index}: customJwt needs string issuer, jwks and algorithm.`,
    );
  }
  if (!CUSTOM_JWT_ALGORITHMS.has(algorithm)) {
    throw new Error(
      `auth.config.ts provider ${index}: algorithm must be "RS256" or "ES256", got "${algorithm}".`,
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

/** Parses the default export of `auth.config.ts`. @throws Error naming the bad provider. */
export function parseAuthConfig(config: unknown): Provider[] {
  if (config === undefined || config === null) return [];
  const providers = (config as { providers?: unknown }).providers;
  if (!Array.isArray(providers))
    throw new Error("auth.config.ts must export { providers: [...] }.");
  return providers.map((raw: unknown, index): Provider => {
    const provider = (raw ?? {}) as Record<string, unknown>;
    if (provider["type"] === "customJwt") return parseCustomJwt(provider, index);
    const { domain, applicationID } = provider;
    if (typeof domain !== "string" || typeof applicationID !== "string") {
      throw new Error(
        `auth.config.ts provider ${index}: needs a string domain and applicationID (or type: "customJwt").`,
      );
    }
    return { kind: "oidc", domain, issuer: trimSlash(domain), applicationID };
  });
}

/** How a provider appears in the NoAuthProvider message. */
export function describeProvider(provider: Provider): ProviderDescription {
  return provider.kind === "oidc"
    ? { kind: "oidc", domain: provider.domain, applicationID: provider.applicationID }
    : { kind: "customJwt", issuer: provider.issuer, applicationID: provider.applicationID };
}

/**
 * Whether a token with these claims is routed to `provider`, as Convex routes it: the issuer
 * must match (trailing slashes aside); the audience too when the provider names one.
 */
export function providerMatches(provider: Provider, issuer: string, audiences: string[]): boolean {
  if (trimSlash(provider.issuer) !== trimSlash(issuer)) return false;
  return provider.applicationID === null || audiences.includes(provider.applicationID);
}
