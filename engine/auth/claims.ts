/**
 * Checks on a verified token's claims, as Convex applies them (5 s of leeway on every time
 * claim), and the identity Convex builds from them: `tokenIdentifier` = `issuer|subject`,
 * standard claims in camelCase, other claims flattened in.
 */
import type { JWTPayload } from "jose";
import { tokenExpiredText, tokenNotYetValidText } from "../convex_messages.ts";
import type { UserIdentity } from "../runtime/execution.ts";

/** Leeway on `exp`, `nbf` and `iat`, as Convex's validation options set it. */
export const CLOCK_LEEWAY_SECONDS = 5;

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

/** The token's audiences (`aud` is a string or a list). */
export function audiencesOf(payload: JWTPayload): string[] {
  const aud = payload.aud;
  if (aud === undefined) return [];
  return (Array.isArray(aud) ? aud : [aud]).filter((a): a is string => typeof a === "string");
}

/**
 * The reason `payload`'s time claims refuse it at `nowSeconds`, or null: expired more than the
 * leeway ago, or an `nbf`/`iat` more than the leeway ahead.
 */
export function temporalProblem(payload: JWTPayload, nowSeconds: number): string | null {
  const { exp, nbf, iat } = payload;
  if (typeof exp === "number" && nowSeconds - exp > CLOCK_LEEWAY_SECONDS) {
    return tokenExpiredText(Math.floor(nowSeconds - exp));
  }
  for (const claim of [nbf, iat]) {
    if (typeof claim === "number" && claim - nowSeconds > CLOCK_LEEWAY_SECONDS) {
      return tokenNotYetValidText(Math.floor(claim - nowSeconds));
    }
  }
  return null;
}

/** Builds Convex's identity from verified claims; null when `iss` or `sub` is missing. */
export function identityFromClaims(payload: JWTPayload): UserIdentity | null {
  const iss = payload.iss;
  const sub = payload.sub;
  if (typeof iss !== "string" || typeof sub !== "string") return null;
  const identity: Record<string, unknown> = { tokenIdentifier: `${iss}|${sub}` };
  for (const [claim, value] of Object.entries(payload)) {
    if (DROPPED_CLAIMS.has(claim)) continue;
    identity[CLAIM_NAMES[claim] ?? claim] = value;
  }
  return identity as UserIdentity;
}
