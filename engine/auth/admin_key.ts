/**
 * The deployment's admin key, as Convex's tools use one: `Authorization: Convex <key>` over
 * HTTP, `Authenticate {tokenType: "Admin", value: <key>}` over the sync protocol. An admin may
 * call internal functions, and may act as a user: `<key>:<base64 of the identity's JSON>` over
 * HTTP, `impersonating: {...}` over the sync protocol (what `setAdminAuth(key, identity)` sends).
 *
 * The key is `convex-graphql|<64 hex digits>`: given by the operator (`--admin-key`, or the
 * `CONVEX_GRAPHQL_ADMIN_KEY` variable), or made once and kept in `admin_key` beside the data file
 * (mode 0600), so tools keep working across restarts. Comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BAD_ADMIN_KEY_TEXT, badActingIdentityText } from "../convex_messages.ts";
import type { UserIdentity } from "../runtime/execution.ts";

/** The environment variable the CLI reads an admin key from. */
export const ADMIN_KEY_ENV = "CONVEX_GRAPHQL_ADMIN_KEY";

/** The prefix of generated keys (Convex's keys name their deployment the same way). */
const KEY_PREFIX = "convex-graphql|";

/** A presented admin key this deployment did not issue (Convex's `BadDeployKey`, 403). */
export class AdminKeyError extends Error {
  readonly code = "BadDeployKey" as const;
  constructor(message = BAD_ADMIN_KEY_TEXT) {
    super(message);
    this.name = "AdminKeyError";
  }
}

/** A fresh random admin key. */
export function generateAdminKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString("hex")}`;
}

/**
 * Checks that `key` can be used as an admin key: printable, no spaces, no `:` (which separates
 * the acting identity), at least 16 characters. @throws Error saying why not.
 */
export function checkAdminKeyFormat(key: string): void {
  if (key.length < 16 || !/^[\x21-\x7e]+$/.test(key) || key.includes(":")) {
    throw new Error(
      "An admin key must be at least 16 printable characters, without spaces or ':'.",
    );
  }
}

/** The key stored in `file`, or a new one written there (mode 0600). */
export function loadOrCreateAdminKey(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  const key = generateAdminKey();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** True when `presented` is `key` (constant-time). */
export function adminKeyMatches(key: string, presented: string): boolean {
  return timingSafeEqual(digest(key), digest(presented));
}

/**
 * The identity an admin acts as: Convex's `UserIdentityAttributes` (camelCase claims), with
 * `tokenIdentifier` given or built as `issuer|subject`.
 * @throws AdminKeyError when the attributes are not an object or name no one.
 */
export function actingIdentity(attributes: unknown): UserIdentity {
  if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes)) {
    throw new AdminKeyError(badActingIdentityText("expected a JSON object"));
  }
  const fields = attributes as Record<string, unknown>;
  const { tokenIdentifier, issuer, subject } = fields;
  if (typeof tokenIdentifier === "string") return { ...fields, tokenIdentifier };
  if (typeof issuer === "string" && typeof subject === "string") {
    return { ...fields, tokenIdentifier: `${issuer}|${subject}` };
  }
  throw new AdminKeyError(
    badActingIdentityText('Either "tokenIdentifier" or "issuer" and "subject" must be set'),
  );
}

/** Splits `<key>[:<base64 JSON identity>]` (the HTTP form). @throws AdminKeyError. */
export function parseAdminCredential(value: string): { key: string; actingAs: unknown } {
  const colon = value.indexOf(":");
  if (colon === -1) return { key: value, actingAs: undefined };
  let actingAs: unknown;
  try {
    actingAs = JSON.parse(Buffer.from(value.slice(colon + 1), "base64").toString("utf8"));
  } catch {
    throw new AdminKeyError(badActingIdentityText("not base64-encoded JSON"));
  }
  return { key: value.slice(0, colon), actingAs };
}
