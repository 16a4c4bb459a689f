/**
 * Who is calling: the one place that turns credentials (an HTTP `Authorization` header, a sync
 * `Authenticate` message) into a caller, for the HTTP API, HTTP actions and the sync protocol
 * alike. A user token is verified against `auth.config.ts`; an admin key is compared with the
 * deployment's; anything refused throws an error carrying Convex's code.
 */
import { AUTH_TEXTS } from "../convex_messages.ts";
import type { UserIdentity } from "../runtime/execution.ts";
import {
  actingIdentity,
  AdminKeyError,
  adminKeyMatches,
  parseAdminCredential,
} from "./admin_key.ts";
import { AuthenticationError, type Authenticator } from "./auth.ts";

/** A caller: the identity functions see, and whether it holds the admin key. */
export interface Caller {
  readonly identity: UserIdentity | null;
  /** Admins may call internal functions. */
  readonly admin: boolean;
  /** When the user token expires (ms since the epoch), or null. */
  readonly expiresAtMs: number | null;
}

/** Nobody in particular. */
export const ANONYMOUS: Caller = { identity: null, admin: false, expiresAtMs: null };

export interface CredentialSources {
  /** The current auth configuration. */
  readonly authenticator: () => Authenticator;
  /** The deployment's admin key. */
  readonly adminKey: string;
}

/** Resolves credentials for one deployment. */
export class Credentials {
  constructor(private readonly sources: CredentialSources) {}

  /** A user JWT. @throws AuthenticationError. */
  async user(token: string): Promise<Caller> {
    const verified = await this.sources.authenticator().verifyWithExpiry(token);
    return { identity: verified.identity, admin: false, expiresAtMs: verified.expiresAtMs };
  }

  /**
   * An admin key, acting as the user `actingAs` describes when given.
   * @throws AdminKeyError for a key this deployment did not issue or an unreadable identity.
   */
  admin(key: string, actingAs: unknown): Caller {
    if (!adminKeyMatches(this.sources.adminKey, key)) throw new AdminKeyError();
    const identity = actingAs === undefined || actingAs === null ? null : actingIdentity(actingAs);
    return { identity, admin: true, expiresAtMs: null };
  }

  /**
   * An HTTP `Authorization` header: none, `Bearer <jwt>` or `Convex <admin key>[:<identity>]`.
   * @throws AuthenticationError (InvalidAuthHeader for any other scheme) or AdminKeyError.
   */
  async fromHeader(header: string | undefined): Promise<Caller> {
    if (header === undefined || header === "") return ANONYMOUS;
    const space = header.indexOf(" ");
    const scheme = space === -1 ? header : header.slice(0, space);
    const value = space === -1 ? "" : header.slice(space + 1).trim();
    if (scheme.toLowerCase() === "convex") {
      const { key, actingAs } = parseAdminCredential(value);
      return this.admin(key, actingAs);
    }
    if (scheme.toLowerCase() !== "bearer" || value === "") {
      throw new AuthenticationError("InvalidAuthHeader", AUTH_TEXTS.headerPrefix);
    }
    return this.user(value);
  }
}
