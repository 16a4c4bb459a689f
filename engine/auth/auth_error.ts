/** A refused credential, with the code Convex gives it (errors.ts maps codes to statuses). */
import type { AuthErrorCode } from "../errors.ts";

/** A token that cannot be accepted; `code` says how Convex classifies it, the message why. */
export class AuthenticationError extends Error {
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.name = "AuthenticationError";
    this.code = code;
  }
}
