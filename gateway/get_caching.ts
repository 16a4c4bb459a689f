/**
 * `Cache-Control` for answers to GET requests (GraphQL over GET, which urql and CDN-cached
 * persisted queries use). A live backend's data changes at any moment and most answers depend on
 * who asks, so a GET answer is `private, no-store`, with one exception: a persisted operation
 * asked anonymously (no `Authorization`) and answered 200 without errors is the same for
 * everyone, and a shared
 * cache may keep it for one second (`public, max-age=1`, `Vary: Authorization` so that an
 * authenticated request never gets it).
 */
import type { Plugin } from "graphql-yoga";

export const PRIVATE_ANSWER = "private, no-store";
export const SHARED_ANSWER = "public, max-age=1";

/** Whether a GET request names a persisted operation (an APQ hash or a document id). */
function namesPersistedOperation(url: URL): boolean {
  if (url.searchParams.has("documentId")) return true;
  return /"persistedQuery"|"documentId"/.test(url.searchParams.get("extensions") ?? "");
}

/** The plugin; `persisted`: whether the gateway serves persisted operations only. */
export function getCachingPlugin(persisted: boolean): Plugin {
  /** Requests whose result carried errors (never shared: they may be transient). */
  const failed = new WeakSet<Request>();
  return {
    onResultProcess({ request, result }) {
      const results = Array.isArray(result) ? result : [result];
      if (results.some((each) => "errors" in each && each.errors !== undefined))
        failed.add(request);
    },
    onResponse({ request, response }) {
      if (request.method !== "GET" && request.method !== "HEAD") return;
      const shared =
        persisted &&
        response.status === 200 &&
        !failed.has(request) &&
        !request.headers.has("authorization") &&
        namesPersistedOperation(new URL(request.url));
      response.headers.set("cache-control", shared ? SHARED_ANSWER : PRIVATE_ANSWER);
      if (shared) response.headers.append("vary", "Authorization");
    },
  };
}
