/**
 * The gateway's own word for "the Convex backend did not answer": raised by its timeouts and
 * carried as a code, so the error table (errors.ts) never has to read a message to tell a
 * transport failure from a function's failure.
 */

/** The code the gateway's transport failures carry (see errors.ts). */
export const UPSTREAM_UNAVAILABLE = "UpstreamUnavailable";

export class UpstreamUnavailable extends Error {
  readonly code = UPSTREAM_UNAVAILABLE;
  constructor(message: string) {
    super(message);
    this.name = "UpstreamUnavailable";
  }
}

/** Node's socket error codes that mean the backend could not be reached (or went away). */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
