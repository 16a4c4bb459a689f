/**
 * Every error text the engine shares with Convex, built in one place, worded as Convex's backend
 * words them (crates/errors, crates/authentication, crates/keybroker, the isolate's error
 * formatting). Callers pass values; they never assemble these texts themselves. Codes travel
 * beside the texts (errors.ts), so nothing downstream needs to read a message to classify it.
 */

/** The message line of an uncaught error: `Uncaught <Name>: <message>`. */
export function uncaughtText(name: string, message: string): string {
  return `Uncaught ${name}: ${message}`;
}

/** An error's message line followed by its first user stack frame, when there is one. */
export function withFrameText(message: string, frame: string | null): string {
  return frame === null ? message : `${message}\n${frame}`;
}

/**
 * One stack frame as Convex prints it: `    at [async ]<fn> (../convex/<file>:<line>:<col>)`
 * (`async` marks a frame that awaits, such as an action's `await ctx.runMutation(...)`).
 */
export function stackFrameText(
  functionName: string | null,
  file: string,
  position: { readonly line: number; readonly column: number; readonly isAsync: boolean },
): string {
  const name = `${position.isAsync ? "async " : ""}${functionName ?? "<anonymous>"}`;
  return `    at ${name} (../${file}:${position.line}:${position.column})`;
}

/** The `[Request ID: <id>] Server Error` framing of a failed function's message. */
export function serverErrorText(requestId: string, detail: string): string {
  return `[Request ID: ${requestId}] Server Error\n${detail}`;
}

/**
 * What an action's `await ctx.run*(...)` rejects with when the callee failed: the callee's
 * failure as Convex displays its JsError, without the request-id framing. Convex ends the
 * message line and every frame line with a newline, so the calling action's own frame, when its
 * failure is uncaught in turn, follows after a blank line:
 * `Uncaught Error: Uncaught Error: boom\n    at handler (../convex/a.ts:5:11)\n\n    at async …`.
 */
export function nestedFailureText(detail: string): string {
  return `${detail}\n`;
}

/**
 * The `code` of an HTTP action's 500 answer: the request id, then the error's message line
 * (without its frames, which the answer's `trace` carries).
 */
export function httpActionErrorCode(requestId: string, message: string): string {
  return `[Request ID: ${requestId}] Server Error: ${message}`;
}

/**
 * An unknown or internal function called from outside. Convex names a default export by its
 * module alone (`'getUsers'`, not `'getUsers:default'`).
 */
export function functionNotFoundText(path: string): string {
  const shown = path.endsWith(":default") ? path.slice(0, -":default".length) : path;
  return `Could not find public function for '${shown}'. Did you forget to run \`npx convex dev\`?`;
}

/** A function that ran past its time limit (Convex names no function: the caller knows which). */
export function functionTimeoutText(limitMs: number): string {
  return `Function execution timed out (maximum duration: ${limitMs / 1000}s)`;
}

/** Querying an index declared with `staged: true`. */
export function stagedIndexText(table: string, index: string): string {
  return `Index ${table}.${index} is currently staged and not available to query until it is enabled`;
}

/**
 * A pagination cursor that does not parse (Convex's keybroker `cursor_parse_error`, code
 * `InvalidCursor`). The engine adds the cursor's start, which Convex leaves out.
 */
export function cursorParseText(cursor: string): string {
  return `InvalidCursor: Failed to parse cursor "${cursor.slice(0, 64)}".`;
}

/** A pagination cursor handed to another query than its own (Convex's `invalid_cursor`). */
export function cursorFromOtherQueryText(): string {
  return "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor is from a different query.";
}

/**
 * `db.system.get` of a user table's id (or `db.get` of a system table's id), worded as
 * convex-js words the same rule for `query()` and `normalizeId()`.
 */
export function wrongTableReaderText(accessingSystemTable: boolean, method: string): string {
  return `${accessingSystemTable ? "System" : "User"} tables can only be accessed from db.${accessingSystemTable ? "system." : ""}${method}().`;
}

/** A mutation that conflicted on every retry (Convex's `user_occ`). */
export function occText(table: string | null): string {
  const where = table === null ? "some table" : `the "${table}" table`;
  return `Documents read from or written to ${where} changed while this mutation was being run and on every subsequent retry. See https://docs.convex.dev/error#1`;
}

/** The `throwOverloaded` syscall's error (Convex's testing syscall wording). */
export const OVERLOADED_TEXT = "I'm a bit busy.";

/** A request with a deploy/admin key this deployment did not issue. */
export const BAD_ADMIN_KEY_TEXT =
  "The provided deploy key was invalid for this deployment. Double check that the environment this key was generated for matches the desired deployment.";

/** An admin key whose acting-as identity cannot be read. */
export function badActingIdentityText(reason: string): string {
  return `Invalid acting user identity in the admin key: ${reason}`;
}

/** What `describeProvider` returns for each provider in the NoAuthProvider message. */
export type ProviderDescription =
  | { readonly kind: "oidc"; readonly domain: string; readonly applicationID: string }
  | { readonly kind: "customJwt"; readonly issuer: string; readonly applicationID: string | null };

/** Auth failures, by the code Convex gives them. */
export const AUTH_TEXTS = {
  malformed:
    "Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots.",
  missingIssuer:
    "Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that matches one of your configured auth providers.",
  missingAudience:
    "Missing audience claim ('aud') in JWT payload. The JWT must include an 'aud' claim that matches your configured application ID.",
  missingKid: "Could not decode token. JWT may be missing a 'kid' (key ID) header.",
  oidcUnverified:
    "Could not verify OIDC token claim. Check that the token signature is valid and the token hasn't expired.",
  invalidClaims:
    "Could not verify token claim. Check that the JWT contains valid claims and matches your auth provider configuration.",
  headerPrefix: "Header must begin with `bearer `",
  tokenExpiredInUse: "Token expired",
} as const;

/** NoAuthProvider: lists the configured providers as Convex does. */
export function noAuthProviderText(providers: readonly ProviderDescription[]): string {
  if (providers.length === 0) {
    return "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts.";
  }
  const list = providers.map((provider) =>
    provider.kind === "oidc"
      ? `OIDC(domain=${provider.domain}, app_id=${provider.applicationID})`
      : `CustomJWT(issuer=${provider.issuer}, app_id=${provider.applicationID ?? "none"})`,
  );
  return `No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [${list.join(", ")}]`;
}

/** A `kid` the provider's JWKS does not hold (or a signature that does not verify). */
export function unknownKidText(kid: string): string {
  return `Could not decode token. The JWT's 'kid' (key ID) header is '${kid}', does this key match any key in the provider's JWKS?`;
}

/** A JWKS body that is not a key set. */
export function invalidJwksText(uri: string): string {
  return `Invalid JWKS response body from '${uri}'. The response is not valid JSON or doesn't match the expected JWKS format.`;
}

/** A JWKS that could not be fetched (unreachable, timed out, or an HTTP error). */
export function jwksFetchText(uri: string, reason: string): string {
  return `Could not fetch JWKS from URL '${uri}': ${reason}. Check that the URL is correct and accessible.`;
}

/** OIDC discovery that failed. */
export function discoveryFailedText(issuer: string, reason: string): string {
  return `Auth provider discovery of ${issuer} failed: ${reason}`;
}

/** A token whose `iss` does not match its provider's. */
export function invalidIssuerText(tokenIssuer: string, issuer: string): string {
  return `Invalid issuer: ${tokenIssuer} != ${issuer}`;
}

/** A token whose audiences do not include the provider's `applicationID`. */
export function invalidAudienceText(applicationID: string, audiences: readonly string[]): string {
  return `Invalid audience: ${applicationID} not in ${JSON.stringify(audiences).replaceAll(",", ", ")}`;
}

/** Temporal validation (5 s of leeway), worded as Convex's JWT library words it. */
export function tokenExpiredText(secondsAgo: number): string {
  return `Could not validate token: Token expired ${secondsAgo} seconds ago`;
}

/** An `nbf` or `iat` more than 5 s in the future. */
export function tokenNotYetValidText(secondsFromNow: number): string {
  return `Could not validate token: Token will be valid in ${secondsFromNow} seconds`;
}

/** A token larger than the engine accepts (checked before anything decodes it). */
export function tokenTooLargeText(bytes: number, limit: number): string {
  return `Could not parse JWT payload: the token is ${bytes} bytes long, more than the ${limit} bytes accepted.`;
}

/** A module (or `auth.config.ts`) that throws while the push is analysed. */
export function failedToAnalyzeText(moduleFile: string, uncaught: string): string {
  return `Failed to analyze ${moduleFile}: ${uncaught}`;
}

/**
 * `auth.config.ts` read a variable the deployment does not have (Convex's
 * `AuthConfigMissingEnvironmentVariable`, which its CLI prints with how to set it).
 */
export function authConfigMissingVariableText(name: string): string {
  return `Environment variable ${name} is used in auth config file but its value was not set. Set it with \`convex-graphql env set ${name} <value>\` (or \`npx convex env set\`).`;
}
