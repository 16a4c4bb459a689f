/**
 * A session's `Authenticate` handling, as Convex does it: the identity version must follow on,
 * the credentials (a user token, the admin key, none) are verified, a refusal is answered and
 * closes the socket, and a token that expires while in use ends the session when it does.
 */
import { AuthenticationError } from "../auth/auth.ts";
import { AdminKeyError } from "../auth/admin_key.ts";
import { ANONYMOUS, type Caller, type Credentials } from "../auth/credentials.ts";
import { AUTH_TEXTS } from "../convex_messages.ts";
import { errorMessageOf } from "../errors.ts";
import { ProtocolViolation, type ClientMessage } from "./protocol.ts";
import type { SessionChannel, SessionClient } from "./session_channel.ts";

type AuthenticateMessage = Extract<ClientMessage, { type: "Authenticate" }>;

export class SessionAuth {
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly channel: SessionChannel,
    private readonly client: SessionClient,
    /** Resolves `Authenticate` credentials (user tokens, the admin key). */
    private readonly credentials: Credentials,
    /** A new identity was adopted: every result must be looked up again. */
    private readonly onIdentity: () => void,
  ) {}

  async authenticate(message: AuthenticateMessage): Promise<void> {
    if (message.baseVersion !== this.client.receivedIdentity) {
      throw new ProtocolViolation(
        "BaseVersionMismatch",
        `Authenticate baseVersion ${message.baseVersion} does not match the current identity version ${this.client.receivedIdentity}.`,
      );
    }
    let caller: Caller;
    try {
      caller = await this.callerOf(message);
    } catch (error) {
      this.refuseCredentials(error);
      return;
    }
    this.expireAt(caller.expiresAtMs, message.baseVersion + 1);
    const identity = caller.identity;
    this.client.admin = caller.admin;
    this.client.identity = identity;
    this.client.receivedIdentity = message.baseVersion + 1;
    this.onIdentity();
  }

  /** Stops the expiry timer (the session closed). */
  dispose(): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
  }

  /** The caller an `Authenticate` message names. @throws AuthenticationError, AdminKeyError. */
  private async callerOf(message: AuthenticateMessage): Promise<Caller> {
    switch (message.tokenType) {
      case "User":
        return this.credentials.user(message.value ?? "");
      case "Admin":
        return this.credentials.admin(message.value ?? "", message.impersonating);
      case "None":
        return ANONYMOUS;
      default:
        return message.tokenType satisfies never;
    }
  }

  /**
   * Refused credentials, as Convex answers them: a refused user token gets `AuthError` (the
   * client refetches its token), a bad admin key `FatalError` (not retried); then the socket
   * closes.
   */
  private refuseCredentials(error: unknown): void {
    if (error instanceof AdminKeyError) {
      this.channel.send({ type: "FatalError", error: error.message });
      this.channel.closeWith(1000, error.code);
      return;
    }
    const text =
      error instanceof AuthenticationError
        ? error.message
        : `Could not verify token: ${errorMessageOf(error)}`;
    this.channel.send({
      type: "AuthError",
      error: text,
      baseVersion: this.client.receivedIdentity,
      authUpdateAttempted: true,
    });
    this.channel.closeWith(1000, "AuthError");
  }

  /**
   * A token that expires while in use: Convex sends `AuthError {authUpdateAttempted: false}`;
   * the socket then closes, and the client fetches a fresh token and reconnects.
   */
  private expireAt(expiresAtMs: number | null, identityVersion: number): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (expiresAtMs === null) return;
    this.expiryTimer = setTimeout(
      () => {
        if (this.channel.state !== "open" || this.client.receivedIdentity !== identityVersion)
          return;
        this.channel.send({
          type: "AuthError",
          error: AUTH_TEXTS.tokenExpiredInUse,
          baseVersion: this.client.receivedIdentity,
          authUpdateAttempted: false,
        });
        this.channel.closeWith(1000, "AuthError");
      },
      Math.max(0, expiresAtMs - Date.now()),
    );
    this.expiryTimer.unref();
  }
}
