/**
 * Persisted operations (`persistedOperations`: id -> document): when set, only those run, by id,
 * over HTTP and over graphql-ws alike. One reading of the id for both: Apollo's
 * `extensions.persistedQuery.sha256Hash`, or `documentId` (GraphQL over HTTP's persisted
 * documents), in the extensions or the payload itself.
 */
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";

export type PersistedStore = Readonly<Record<string, string>>;

interface PersistedParams {
  readonly extensions?: unknown;
  readonly documentId?: unknown;
}

/** The persisted-operation id a request names, or null. */
export function persistedOperationId(params: PersistedParams): string | null {
  const extensions = params.extensions as
    { persistedQuery?: { sha256Hash?: unknown }; documentId?: unknown } | undefined;
  const id = extensions?.persistedQuery?.sha256Hash ?? extensions?.documentId ?? params.documentId;
  return typeof id === "string" ? id : null;
}

/** The Yoga plugin that runs known ids only over HTTP (Yoga's own errors and codes). */
export function persistedOperationsPlugin(store: PersistedStore): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (id: string) => store[id] ?? null,
    extractPersistedOperationId: (params) => persistedOperationId(params as PersistedParams),
    allowArbitraryOperations: false,
  });
}

/** The document a graphql-ws `subscribe` payload names, or the errors refusing it. */
export function persistedSource(
  payload: PersistedParams,
  store: PersistedStore,
): string | readonly GraphQLError[] {
  const id = persistedOperationId(payload);
  const source = id === null ? undefined : store[id];
  if (source !== undefined) return source;
  if (id !== null) {
    return [
      new GraphQLError("PersistedQueryNotFound", {
        extensions: { code: "PERSISTED_QUERY_NOT_IN_LIST" },
      }),
    ];
  }
  return [
    new GraphQLError(
      "PersistedQueryOnly: only persisted operations are accepted; send a known operation id.",
      { extensions: { code: "PERSISTED_QUERY_ONLY" } },
    ),
  ];
}
