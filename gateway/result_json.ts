/**
 * A GraphQL result's JSON as the gateway's streaming transports send it: errors without the
 * gateway's internal extensions (`http`, `unexpected`), which Yoga strips the same way.
 */
import { GraphQLError, type ExecutionResult } from "graphql";

/** A GraphQL error's JSON without the gateway's internals (`extensions.http`). */
export function errorJson(error: unknown): unknown {
  const json = error instanceof GraphQLError ? error.toJSON() : { message: String(error) };
  if (json.extensions === undefined) return json;
  const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions;
  return Object.keys(extensions).length === 0
    ? { ...json, extensions: undefined }
    : { ...json, extensions };
}

/**
 * `result` as JSON text, errors and extensions without internals; a result that carries its own
 * `stringify` (a live result, serialised once for all its subscribers) is not serialised again.
 */
export function resultJsonWithoutInternals(result: ExecutionResult): string {
  const own = (result as { stringify?: (value: unknown) => string }).stringify;
  if (result.errors === undefined && result.extensions?.["http"] === undefined) {
    return own !== undefined ? own(result) : JSON.stringify(result);
  }
  const copy: Record<string, unknown> = { ...result };
  if (result.errors !== undefined) copy["errors"] = result.errors.map(errorJson);
  if (result.extensions !== undefined) {
    const { http: _http, ...extensions } = result.extensions;
    copy["extensions"] = Object.keys(extensions).length > 0 ? extensions : undefined;
  }
  return JSON.stringify(copy);
}
