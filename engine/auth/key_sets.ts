/**
 * Fetching the keys tokens are verified with: a provider's JWKS (a URL or an inline `data:`
 * URI) and, for OIDC providers, the discovery document that names it. Every fetch has a time
 * limit and a size limit, so an endpoint that hangs or floods costs one bounded wait; concurrent
 * requests for one URL share a single fetch; key sets are cached and refetched when a token
 * names a key the cached set lacks (key rotation), at most every `REFRESH_COOLDOWN_MS`.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { discoveryFailedText, invalidJwksText, jwksFetchText } from "../convex_messages.ts";
import { AuthenticationError } from "./auth_error.ts";

/** Keep a fetched key set this long. @default 300_000 // ms */
export const KEY_SET_TTL_MS = 300_000;
/** A key set is refetched for an unknown `kid` only if it is at least this old. */
export const REFRESH_COOLDOWN_MS = 30_000;
/** The largest JWKS or discovery document read. */
export const MAX_KEY_DOCUMENT_BYTES = 1024 * 1024;

interface CachedKeySet {
  readonly keys: JWTVerifyGetKey;
  readonly fetchedAtMs: number;
}

/** Reads `response`'s body as text, refusing more than `MAX_KEY_DOCUMENT_BYTES`. */
async function boundedText(response: Response): Promise<string> {
  const length = Number(response.headers.get("content-length") ?? "0");
  if (length > MAX_KEY_DOCUMENT_BYTES) {
    await response.body?.cancel();
    throw new Error(`the response is larger than ${MAX_KEY_DOCUMENT_BYTES} bytes`);
  }
  const text = await response.text();
  if (text.length > MAX_KEY_DOCUMENT_BYTES) {
    throw new Error(`the response is larger than ${MAX_KEY_DOCUMENT_BYTES} bytes`);
  }
  return text;
}

/** GETs `url` within `timeoutMs`; the body as text. @throws Error saying what failed. */
async function fetchText(url: string, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = (error as { name?: string }).name;
    throw new Error(
      name === "TimeoutError" || name === "AbortError"
        ? `no answer within ${timeoutMs} ms`
        : (((error as Error).cause as Error | undefined)?.message ?? (error as Error).message),
    );
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} ${response.statusText}`);
  }
  return boundedText(response);
}

/** The text of a `data:` URI (base64 or percent-encoded). */
function dataUriText(uri: string): string {
  const comma = uri.indexOf(",");
  const meta = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  return meta.endsWith(";base64")
    ? Buffer.from(payload, "base64").toString("utf8")
    : decodeURIComponent(payload);
}

/** A verifier's key lookup from a JWKS body. @throws AuthenticationError when it is not one. */
function keySetFromText(uri: string, text: string): JWTVerifyGetKey {
  try {
    return createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
  } catch {
    throw new AuthenticationError("InvalidAuthHeader", invalidJwksText(uri));
  }
}

/** The key sets of every provider, cached per URL. */
export class KeySets {
  private readonly cache = new Map<string, CachedKeySet>();
  private readonly inflight = new Map<string, Promise<CachedKeySet>>();
  private readonly jwksUris = new Map<string, string>();

  /** @param timeoutMs - the time limit of each fetch (ms). */
  constructor(private readonly timeoutMs: number) {}

  /**
   * The keys at `uri` (a JWKS URL or a `data:` URI). With `refresh`, a cached set at least
   * `REFRESH_COOLDOWN_MS` old is fetched again.
   * @throws AuthenticationError (InvalidAuthHeader) when they cannot be fetched or read.
   */
  async keys(uri: string, refresh = false): Promise<JWTVerifyGetKey> {
    const now = Date.now();
    const cached = this.cache.get(uri);
    if (cached !== undefined) {
      const age = now - cached.fetchedAtMs;
      if (age < KEY_SET_TTL_MS && !(refresh && age >= REFRESH_COOLDOWN_MS)) return cached.keys;
    }
    let pending = this.inflight.get(uri);
    if (pending === undefined) {
      pending = this.load(uri).finally(() => this.inflight.delete(uri));
      this.inflight.set(uri, pending);
    }
    return (await pending).keys;
  }

  private async load(uri: string): Promise<CachedKeySet> {
    let text: string;
    if (uri.startsWith("data:")) {
      text = dataUriText(uri);
    } else {
      try {
        text = await fetchText(uri, this.timeoutMs);
      } catch (error) {
        throw new AuthenticationError(
          "InvalidAuthHeader",
          jwksFetchText(uri, (error as Error).message),
        );
      }
    }
    const entry = { keys: keySetFromText(uri, text), fetchedAtMs: Date.now() };
    this.cache.set(uri, entry);
    return entry;
  }

  /**
   * The JWKS URL an OIDC issuer's discovery document names (cached).
   * @throws AuthenticationError (InvalidAuthHeader) when discovery fails.
   */
  async discoveredJwksUri(issuer: string): Promise<string> {
    const known = this.jwksUris.get(issuer);
    if (known !== undefined) return known;
    let jwksUri: unknown;
    try {
      const text = await fetchText(`${issuer}/.well-known/openid-configuration`, this.timeoutMs);
      jwksUri = (JSON.parse(text) as { jwks_uri?: unknown }).jwks_uri;
    } catch (error) {
      throw new AuthenticationError(
        "InvalidAuthHeader",
        discoveryFailedText(issuer, (error as Error).message),
      );
    }
    if (typeof jwksUri !== "string") {
      throw new AuthenticationError(
        "InvalidAuthHeader",
        discoveryFailedText(issuer, "the discovery document has no jwks_uri"),
      );
    }
    this.jwksUris.set(issuer, jwksUri);
    return jwksUri;
  }
}
