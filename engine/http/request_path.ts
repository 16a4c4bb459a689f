/**
 * The path of a request's URL, as `new URL(url, base).pathname` gives it. Every request of the
 * deployment port asks for it (the storage routes, then the HTTP API), so the common case (a plain
 * absolute path of letters, digits, `_`, `-` and `/`, maybe with a query) is read directly; anything
 * else (percent-escapes, dot segments, `//`, fragments) goes through the URL parser, which refuses
 * some targets Node's HTTP parser lets through (`//[`: a host that is no host).
 */
import { RequestError } from "../errors.ts";

/** A path whose `URL` normalisation is the identity. */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_\-/]*$/;

/**
 * The normalised path of `req.url` (`/` when absent).
 * @throws RequestError (`BadRequest`, 400) when the URL cannot be parsed.
 */
export function requestPath(url: string | undefined): string {
  if (url === undefined) return "/";
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  if (PLAIN_PATH.test(path)) return path;
  const parsed = URL.parse(url, "http://localhost");
  if (parsed === null) {
    throw new RequestError(
      "BadRequest",
      `Invalid request URL: ${JSON.stringify(url.slice(0, 64))}.`,
    );
  }
  return parsed.pathname;
}
