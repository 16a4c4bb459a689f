/**
 * The path of a request's URL, as `new URL(url, base).pathname` gives it. Every request of the
 * deployment port asks for it (the storage routes, then the HTTP API), so the common case (a plain
 * absolute path of letters, digits, `_`, `-` and `/`, maybe with a query) is read directly; anything
 * else (percent-escapes, dot segments, `//`, fragments) goes through the URL parser.
 */

/** A path whose `URL` normalisation is the identity. */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_\-/]*$/;

/** The normalised path of `req.url` (`/` when absent). */
export function requestPath(url: string | undefined): string {
  if (url === undefined) return "/";
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  if (PLAIN_PATH.test(path)) return path;
  return new URL(url, "http://localhost").pathname;
}
