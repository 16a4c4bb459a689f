/**
 * Apollo's automatic persisted queries, when no allow-list is set: a client sends only
 * `extensions.persistedQuery.sha256Hash`; on a miss it gets `PersistedQueryNotFound`
 * (`PERSISTED_QUERY_NOT_FOUND`) and sends the hash again with the document, which is kept once
 * the hash is checked against it. Documents are kept in a byte-bounded LRU, so a client cannot
 * grow the gateway's memory by registering documents.
 */
import { createHash } from "node:crypto";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { ByteLru } from "./byte_lru.ts";

/** The hash an APQ request names, or null. */
function apqHash(extensions: unknown): string | null {
  const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  return typeof persisted?.sha256Hash === "string" ? persisted.sha256Hash : null;
}

export const APQ_ERRORS = {
  notFound: () =>
    new GraphQLError("PersistedQueryNotFound", {
      extensions: { code: "PERSISTED_QUERY_NOT_FOUND", http: { status: 200 } },
    }),
  mismatch: () =>
    new GraphQLError("provided sha does not match query", {
      extensions: { code: "PERSISTED_QUERY_HASH_MISMATCH", http: { status: 400 } },
    }),
};

/** The APQ plugin; `maxBytes` bounds the documents it keeps (estimated as 2 bytes a character). */
export function automaticPersistedQueriesPlugin(maxBytes: number): Plugin {
  const documents = new ByteLru<string, string>(maxBytes);
  return {
    // Errors are thrown: Yoga answers them at once (a result set here would not stop its checks).
    onParams({ params, setParams }) {
      const hash = apqHash(params.extensions);
      if (hash === null) return;
      if (typeof params.query === "string") {
        const actual = createHash("sha256").update(params.query).digest("hex");
        if (actual !== hash.toLowerCase()) throw APQ_ERRORS.mismatch();
        documents.set(actual, params.query, 2 * params.query.length + 64);
        return;
      }
      const query = documents.get(hash.toLowerCase());
      if (query === undefined) throw APQ_ERRORS.notFound();
      setParams({ ...params, query });
    },
  };
}
