/**
 * The gateway's options (every one has a default; see README "Configuration"), and the
 * document limits they set.
 */
import type { GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { DEFAULT_DOCUMENT_OPTIONS, type DocumentOptions } from "./documents.ts";
import type { PersistedStore } from "./persisted.ts";
import type { SlowConsumerOptions } from "./slow_consumer.ts";

export interface GatewayOptions {
  /** The Convex deployment URL (cloud, self-hosted, or the embedded engine). */
  readonly convexUrl: string;
  /** The GraphQL schema to serve (derived from the app, see schema/derive.ts). */
  readonly schema: GraphQLSchema | (() => GraphQLSchema);
  /** @default 4000 (0 picks a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Development mode: errors are not masked. @default false */
  readonly dev?: boolean;
  /** @default 12 */
  readonly maxDepth?: number;
  /** Maximum number of fields an operation may select. @default 1_000 */
  readonly maxCost?: number;
  /** Most fragment definitions in one document. @default 500 */
  readonly maxFragments?: number;
  /** Most tokens in one document (parsing stops there). @default 15_000 */
  readonly maxTokens?: number;
  /** Deepest nesting of brackets in a document's text (checked before parsing). @default 128 */
  readonly maxNesting?: number;
  /** Most directives in one document. @default 100 */
  readonly maxDirectives?: number;
  /**
   * Estimated heap kept by the cache of parsed, valid documents (refused documents are never
   * cached). @default 67_108_864 // bytes (64 MiB)
   */
  readonly documentCacheBytes?: number;
  /** Maximum request body, in bytes. @default 1_048_576 (1 MiB) */
  readonly maxBodyBytes?: number;
  /** Maximum concurrent subscriptions per graphql-ws connection. @default 100 */
  readonly maxSubscriptionsPerConnection?: number;
  /** @default true */
  readonly introspection?: boolean;
  /**
   * Yoga's CSRF prevention: refuse GETs and "simple" POSTs that carry no preflight header
   * (`x-graphql-yoga-csrf` or `apollo-require-preflight`). The gateway never takes identity from
   * cookies, so this protects only deployments where a proxy turns cookies into `Authorization`.
   * @default false
   */
  readonly csrfPrevention?: boolean;
  /**
   * When set, only these operations (by id: sha256 hash or name) are accepted: e.g. the
   * `persisted-documents.json` manifest of graphql-codegen's client preset. Unset: any operation,
   * and Apollo's automatic persisted queries (apq.ts).
   */
  readonly persistedOperations?: PersistedStore;
  /** Bytes of documents kept for automatic persisted queries. @default 16_777_216 (16 MiB) */
  readonly apqCacheBytes?: number;
  /**
   * How long a call to Convex may take: HTTP calls fail with `CONVEX_UNAVAILABLE` after it, and a
   * live operation reports `CONVEX_UNAVAILABLE` (then keeps waiting) when a query's first result
   * takes longer. @default 30_000 // ms
   */
  readonly upstreamTimeoutMs?: number;
  /** Close idle upstream connections after this long. @default 10_000 // ms */
  readonly upstreamIdleMs?: number;
  /**
   * Keep the Convex queries a one-off GraphQL query read subscribed this long after the read, so
   * a repeat is answered from the pushed, current result with no round trip (see
   * upstream/warm_read.ts). 0: every query reads upstream. @default 30_000 // ms
   */
  readonly queryCacheMs?: number;
  /** At most this many queries kept warm by `queryCacheMs`. @default 1_000 */
  readonly maxWarmQueries?: number;
  /** At most this many bytes (estimated) of results kept by warm queries. @default 67_108_864 (64 MiB) */
  readonly maxWarmQueryBytes?: number;
  /** Where requests and shutdown are logged (pino). @default silent */
  readonly logger?: Logger;
  /**
   * On `close()`, how long in-flight requests and executions (a mutation, say) may take to
   * finish before the sockets are closed anyway. @default 10_000 // ms
   */
  readonly shutdownTimeoutMs?: number;
  /** When a graphql-ws socket that does not read is closed (4008); see slow_consumer.ts. */
  readonly slowConsumer?: SlowConsumerOptions;
  /** How long `/readyz` waits for the Convex deployment to answer. @default 2_000 // ms */
  readonly readinessTimeoutMs?: number;
  /** Heartbeat interval of Apollo multipart subscriptions. @default 5_000 // ms */
  readonly multipartHeartbeatMs?: number;
  /** The document GraphiQL opens with (`?query=` overrides it). @default GraphiQL's own */
  readonly graphiqlDefaultQuery?: string;
  /** Yoga plugins run after the gateway's own (e.g. merge/'s, for `--merge`). @default [] */
  readonly plugins?: readonly Plugin[];
}

/** The document limits of `options`, defaults where unset. */
export function documentOptions(options: GatewayOptions): DocumentOptions {
  const defaults = DEFAULT_DOCUMENT_OPTIONS;
  return {
    maxTokens: options.maxTokens ?? defaults.maxTokens,
    source: {
      maxTokens: options.maxTokens ?? defaults.maxTokens,
      maxNesting: options.maxNesting ?? defaults.source.maxNesting,
      maxDirectives: options.maxDirectives ?? defaults.source.maxDirectives,
    },
    operations: {
      maxDepth: options.maxDepth ?? defaults.operations.maxDepth,
      maxCost: options.maxCost ?? defaults.operations.maxCost,
      maxFragments: options.maxFragments ?? defaults.operations.maxFragments,
    },
    cacheBytes: options.documentCacheBytes ?? defaults.cacheBytes,
  };
}
