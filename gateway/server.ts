/**
 * The gateway server, assembled: one endpoint, `/graphql`, serving GraphQL over HTTP (GET and
 * POST), subscriptions over graphql-ws (WebSocket on the same path) and over SSE, and GraphiQL
 * (local assets) to browsers; `/healthz`, `/readyz` and `/metrics` beside it. It keeps no state
 * of its own beyond caches: several gateways can serve one Convex deployment.
 *
 * Each concern is a module of its own: the body limit (body_limit.ts), documents and operation
 * limits (documents.ts), the executor (executor.ts), the upstream sessions (upstream/),
 * graphql-ws (ws_server.ts), persisted operations (persisted.ts), drain on shutdown (drain.ts).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { NoSchemaIntrospectionCustomRule, type GraphQLSchema } from "graphql";
import { createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { pino } from "pino";
import { requestContext, type RequestContext } from "./context.ts";
import { executorPlugin } from "./executor.ts";
import { UpstreamSessions } from "./upstream/sessions.ts";
import { latestTimestampReader } from "./upstream/latest_timestamp.ts";
import { LiveRegistry } from "./live/registry.ts";
import { withBodyLimit } from "./body_limit.ts";
import { documentsPlugin, type DocumentsPlugin } from "./documents.ts";
import { getCachingPlugin } from "./get_caching.ts";
import { searchParamsPlugin } from "./search_params.ts";
import { gatewayMetrics } from "./metrics.ts";
import { operationMetricsPlugin } from "./operation_metrics.ts";
import { gatewayReadiness } from "./health.ts";
import { withOpsRoutes } from "../lib/ops_routes.ts";
import { boundPipelining } from "../lib/pipelining.ts";
import { Drain, drainThenClose } from "./drain.ts";
import { requestLogPlugin } from "./request_log.ts";
import { guardSlowConsumers } from "./slow_consumer.ts";
import { persistedOperationsPlugin } from "./persisted.ts";
import { automaticPersistedQueriesPlugin } from "./apq.ts";
import { multipartSubscriptionsPlugin } from "./multipart_subscriptions.ts";
import { serveGraphqlWs } from "./ws_server.ts";
import { sseListener, sseStreamPlugin } from "./sse_server.ts";
import { documentOptions, type GatewayOptions } from "./options.ts";
import type { Enveloped } from "./ws_operations.ts";

export type { GatewayOptions } from "./options.ts";
export { tokenFrom } from "./context.ts";

export interface Gateway {
  /** `http://HOST:PORT/graphql` */
  readonly url: string;
  readonly port: number;
  /** The upstream sessions (one per identity) every operation reads through. */
  readonly upstream: UpstreamSessions;
  readonly live: LiveRegistry;
  readonly yoga: YogaServerInstance<Record<string, unknown>, RequestContext>;
  /** Parsed, valid documents kept for reuse (bounded in bytes). */
  readonly documents: DocumentsPlugin["cache"];
  /**
   * Graceful shutdown: stops accepting connections (`/readyz` answers 503), waits for in-flight
   * requests and executions (at most `shutdownTimeoutMs`), then closes graphql-ws sockets with
   * 1001, ends SSE streams and upstream connections. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * The deepest JSON a request body or graphql-ws frame may nest (checked before parsing): Convex
 * values nest at most 64 levels, and variables wrap them in a few more.
 */
const MAX_JSON_NESTING = 128;

/** The Yoga plugins, in order. */
function gatewayPlugins(
  options: GatewayOptions,
  parts: { upstream: UpstreamSessions; live: LiveRegistry; drain: Drain; documents: Plugin },
  metrics: ReturnType<typeof gatewayMetrics>,
  currentSchema: () => GraphQLSchema,
): Plugin[] {
  const list: Plugin[] = [
    requestLogPlugin(options.logger ?? pino({ level: "silent" })),
    parts.drain.plugin(),
    operationMetricsPlugin(metrics),
    // Serves whatever the schema is now (it is re-derived when the functions change).
    { onEnveloped: ({ setSchema }) => setSchema(currentSchema()) },
    executorPlugin({ ...parts, queryCacheMs: options.queryCacheMs ?? 30_000 }),
    parts.documents,
    {
      onValidate: ({ addValidationRule }) => {
        if (options.introspection === false) addValidationRule(NoSchemaIntrospectionCustomRule);
      },
    },
    getCachingPlugin(options.persistedOperations !== undefined),
    searchParamsPlugin(),
    multipartSubscriptionsPlugin({
      dev: options.dev === true,
      ...(options.multipartHeartbeatMs !== undefined
        ? { heartbeatMs: options.multipartHeartbeatMs }
        : {}),
    }),
    sseStreamPlugin(),
    ...(options.plugins ?? []),
  ];
  if (options.csrfPrevention === true) {
    // GETs and "simple" POSTs (forms) need a preflight header, so a cross-site form cannot run
    // a mutation; JSON POSTs are not simple and pass.
    const requestHeaders = ["x-graphql-yoga-csrf", "apollo-require-preflight"];
    list.push(useCSRFPrevention({ requestHeaders }));
  }
  if (options.persistedOperations !== undefined)
    list.push(persistedOperationsPlugin(options.persistedOperations));
  else list.push(automaticPersistedQueriesPlugin(options.apqCacheBytes ?? 16 * 1024 * 1024));
  return list;
}

/** Yoga, configured: the gateway's plugins, GraphiQL with local assets, errors masked unless dev. */
function gatewayYoga(
  options: GatewayOptions,
  currentSchema: () => GraphQLSchema,
  plugins: Plugin[],
): YogaServerInstance<Record<string, unknown>, RequestContext> {
  return createYoga<Record<string, unknown>, RequestContext>({
    schema: currentSchema(),
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // The body limit is enforced before Yoga sees the request (see the HTTP server below).
    maxRequestBodySize: false,
    // documents.ts parses and validates within limits, and caches by bytes, not entries.
    parserAndValidationCache: false,
    maskedErrors: options.dev !== true,
    renderGraphiQL,
    graphiql: {
      subscriptionsProtocol: "WS",
      title: "convex-graphql",
      ...(options.graphiqlDefaultQuery !== undefined
        ? { defaultQuery: options.graphiqlDefaultQuery }
        : {}),
    },
    plugins,
    context: (initial) => requestContext(initial),
  });
}

/** The upstream sessions `options` ask for. */
function upstreamSessions(options: GatewayOptions, timeoutMs: number): UpstreamSessions {
  return new UpstreamSessions(options.convexUrl, {
    idleMs: options.upstreamIdleMs ?? 10_000,
    maxWarm: options.maxWarmQueries ?? 1_000,
    maxWarmBytes: options.maxWarmQueryBytes ?? 64 * 1024 * 1024,
    latestTimestamp: latestTimestampReader(options.convexUrl, timeoutMs),
    timeoutMs,
  });
}

/** Starts the gateway; resolves once it listens. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const timeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const upstream = upstreamSessions(options, timeoutMs);
  const metrics = gatewayMetrics();
  const drain = new Drain();
  const live = new LiveRegistry(upstream, timeoutMs, metrics.live);
  const documents = documentsPlugin(documentOptions(options));
  const schema = options.schema;
  const currentSchema = typeof schema === "function" ? schema : () => schema;
  const parts = { upstream, live, drain, documents: documents.plugin };
  const yoga = gatewayYoga(
    options,
    currentSchema,
    gatewayPlugins(options, parts, metrics, currentSchema),
  );

  const maxBody = options.maxBodyBytes ?? 1_048_576;
  const probe = latestTimestampReader(options.convexUrl, options.readinessTimeoutMs ?? 2_000);
  const ops = {
    readiness: () =>
      gatewayReadiness({ schema: currentSchema, probe, closing: () => drain.closing }),
    metrics: () => metrics.render(),
    metricsContentType: metrics.contentType,
  };
  const limits = { maxBytes: maxBody, maxDrainBytes: 16 * maxBody, maxNesting: MAX_JSON_NESTING };
  const server = http.createServer(
    boundPipelining(withOpsRoutes(ops, drain.listener(withBodyLimit(limits, sseListener(yoga))))),
  );
  const wss = serveGraphqlWs(server, {
    upstream,
    timeoutMs,
    maxPayloadBytes: maxBody,
    maxNesting: MAX_JSON_NESTING,
    dev: options.dev === true,
    enveloped: (initial) => yoga.getEnveloped(initial) as unknown as Enveloped,
    Request: yoga.fetchAPI.Request,
    maxSubscriptions: options.maxSubscriptionsPerConnection ?? 100,
    ...(options.persistedOperations !== undefined
      ? { persistedOperations: options.persistedOperations }
      : {}),
  });
  metrics.watch({ upstream, live, wsConnections: () => wss.clients.size });
  const stopSlowConsumerGuard = guardSlowConsumers(wss, options.slowConsumer ?? {}, () =>
    metrics.slowConsumerClosed(),
  );

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4000, host, () => resolve());
  });
  let closing: Promise<void> | null = null;
  const shutDown = async (): Promise<void> => {
    const logger = options.logger ?? pino({ level: "silent" });
    await drainThenClose(server, wss, drain, options.shutdownTimeoutMs ?? 10_000, logger);
    stopSlowConsumerGuard();
    live.dispose();
    await upstream.close();
  };
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/graphql`,
    port: address.port,
    upstream,
    live,
    yoga,
    documents: documents.cache,
    close() {
      closing ??= shutDown();
      return closing;
    },
  };
}
