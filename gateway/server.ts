/**
 * The gateway server: one endpoint, `/graphql`, serving GraphQL over HTTP (GET and POST),
 * subscriptions over graphql-ws (WebSocket on the same path) and over SSE, and GraphiQL (local
 * assets) to browsers. It keeps no state of its own beyond caches: several gateways can serve
 * one Convex deployment.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  execute as graphqlExecute,
  getOperationAST,
  OperationTypeNode,
  NoSchemaIntrospectionCustomRule,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from "graphql";
import { createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { WebSocketServer, type WebSocket } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { GatewayContext } from "./context.ts";
import { httpConvexAccess } from "./upstream/http_access.ts";
import { latestTimestampReader } from "./upstream/latest_timestamp.ts";
import { UpstreamPool, type ReadMark, type UpstreamReadLog } from "./upstream/pool.ts";
import { LiveRegistry } from "./live/registry.ts";
import { readOnce } from "./live/read_once.ts";
import { withBodyLimit } from "./body_limit.ts";
import {
  documentsPlugin,
  DEFAULT_DOCUMENT_OPTIONS,
  type DocumentOptions,
  type DocumentsPlugin,
} from "./documents.ts";
import { isolatedPrepare, isolatedRun } from "./ws_isolation.ts";
import { wsOperationPreparer, type Enveloped, type WsContext } from "./ws_operations.ts";
import { guardFrameNesting } from "./ws_frame_guard.ts";
import { getCachingPlugin } from "./get_caching.ts";
import { pino, type Logger } from "pino";
import { gatewayMetrics } from "./metrics.ts";
import { operationMetricsPlugin } from "./operation_metrics.ts";
import { gatewayReadiness } from "./health.ts";
import { withOpsRoutes } from "../lib/ops_routes.ts";
import { Drain, drainThenClose } from "./drain.ts";
import { requestIdOf, requestLogPlugin } from "./request_log.ts";
import { guardSlowConsumers, type SlowConsumerOptions } from "./slow_consumer.ts";
import { multipartSubscriptionsPlugin } from "./multipart_subscriptions.ts";

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
  /** When set, only these operations (by id: sha256 hash or name) are accepted. */
  readonly persistedOperations?: Readonly<Record<string, string>>;
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
   * upstream/pool.ts). 0: every query reads upstream. @default 30_000 // ms
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

export interface Gateway {
  /** `http://HOST:PORT/graphql` */
  readonly url: string;
  readonly port: number;
  readonly pool: UpstreamPool;
  readonly live: LiveRegistry;
  readonly yoga: YogaServerInstance<Record<string, unknown>, GatewayContext>;
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

/** The document limits of `options`, defaults where unset. */
function documentOptions(options: GatewayOptions): DocumentOptions {
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

/** `Bearer abc` or `abc` -> `abc`; empty -> null. */
export function tokenFrom(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const token = value.replace(/^Bearer\s+/i, "").trim();
  return token === "" ? null : token;
}

/**
 * Executes with graphql-js. A request error (variables that do not coerce) comes back as errors
 * without `data`; Yoga's own executor marks those HTTP 400, so this does too.
 */
async function executeWith(args: ExecutionArgs, context: GatewayContext): Promise<ExecutionResult> {
  const result = await graphqlExecute({ ...args, contextValue: context });
  if (!("data" in result)) {
    for (const error of result.errors ?? []) {
      Object.defineProperty(error, "extensions", {
        value: { ...error.extensions, http: { status: 400 } },
      });
    }
  }
  return result;
}

/** Ids of documents and schemas for `operationKey` (Yoga's parse cache hands out one object per text). */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

function objectId(object: object): number {
  let id = objectIds.get(object);
  if (id === undefined) objectIds.set(object, (id = nextObjectId++));
  return id;
}

/**
 * One name per (schema, document, operation name, variables): what an upstream read can vouch
 * for. A digest, so that large variables cost no memory; -0 is kept apart from 0 (GraphQL and
 * Convex tell them apart).
 */
function operationKey(args: ExecutionArgs): string {
  const variables = JSON.stringify(args.variableValues ?? {}, (_key, value: unknown) =>
    Object.is(value, -0) ? "\u0000-0" : value,
  );
  return createHash("sha256")
    .update(`${objectId(args.schema)}\u0000${objectId(args.document)}\u0000`)
    .update(`${args.operationName ?? ""}\u0000${variables}`)
    .digest("base64");
}

/** How a query operation is answered. */
function queryKind(args: ExecutionArgs): "live" | "query" | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== OperationTypeNode.QUERY) return null;
  const live = (operation.directives ?? []).some((directive) => directive.name.value === "live");
  return live ? "live" : "query";
}

/** `Cache-Control: no-cache` asks for a read at the backend's latest timestamp. */
function wantsFreshRead(request: Request | undefined): boolean {
  return /\bno-cache\b/i.test(request?.headers.get("cache-control") ?? "");
}

/** Starts the gateway; resolves once it listens. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const queryCacheMs = options.queryCacheMs ?? 30_000;
  /** graphql-ws sockets by the token they connected with. */
  const socketsByToken = new Map<string, Set<WebSocket>>();
  const pool = new UpstreamPool(options.convexUrl, {
    idleMs: options.upstreamIdleMs ?? 10_000,
    maxWarm: options.maxWarmQueries ?? 1_000,
    maxWarmBytes: options.maxWarmQueryBytes ?? 64 * 1024 * 1024,
    latestTimestamp: latestTimestampReader(options.convexUrl, upstreamTimeoutMs),
    // A token that expired in use: its sockets close with 4403, so clients reconnect with a fresh one.
    onTokenRefused: (token) => {
      for (const socket of socketsByToken.get(token) ?? []) socket.close(4403, "Forbidden");
    },
  });
  const logger = options.logger ?? pino({ level: "silent" });
  const metrics = gatewayMetrics();
  const drain = new Drain();
  const live = new LiveRegistry(pool, upstreamTimeoutMs, metrics.live);
  const maxBody = options.maxBodyBytes ?? 1_048_576;

  const liveExecute = (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> => {
    const context = args.contextValue as GatewayContext;
    return live.subscribe(
      {
        document: print(args.document),
        operationName: args.operationName ?? null,
        variables: args.variableValues ?? null,
        token: context.token,
      },
      (access) => executeWith(args, { ...context, convex: access }),
    );
  };

  const cachedExecute = (args: ExecutionArgs): Promise<ExecutionResult> => {
    const context = args.contextValue as GatewayContext;
    return readOnce(
      pool,
      context.token,
      (access) => executeWith(args, { ...context, convex: access }),
      { timeoutMs: upstreamTimeoutMs, warmMs: queryCacheMs },
    );
  };

  // An upstream read that may vouch for the client's results (see UpstreamPool.vouch).
  const vouchingExecute =
    (mark: ReadMark, operation: string) =>
    async (args: ExecutionArgs): Promise<ExecutionResult> => {
      const context = args.contextValue as GatewayContext;
      const log: UpstreamReadLog = { reads: [], onlyQueries: true };
      const convex = httpConvexAccess(
        options.convexUrl,
        context.token,
        pool,
        upstreamTimeoutMs,
        log,
        context.requestId,
      );
      const result = await executeWith(args, { ...context, convex });
      if (result.errors === undefined && log.onlyQueries) pool.vouch(mark, operation, log.reads);
      return result;
    };

  const livePlugin: Plugin = {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(liveExecute as never);
    },
    onExecute({ args, setExecuteFn }) {
      const kind = queryKind(args);
      if (kind === "live") {
        setExecuteFn(liveExecute as never);
        return;
      }
      const context = args.contextValue as unknown as GatewayContext;
      if (kind !== "query" || queryCacheMs === 0 || context.fresh) return;
      let operation: string | null = null;
      const named = (): string => (operation ??= operationKey(args));
      if (pool.canRead(context.token, named)) {
        setExecuteFn(cachedExecute as never);
        return;
      }
      const mark = pool.readMark(context.token);
      if (mark !== null) setExecuteFn(vouchingExecute(mark, named()) as never);
    },
  };
  const documents = documentsPlugin(documentOptions(options));
  const introspectionPlugin: Plugin = {
    onValidate({ addValidationRule }) {
      if (options.introspection === false) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
  const currentSchema =
    typeof options.schema === "function" ? options.schema : () => options.schema as GraphQLSchema;
  // Serves whatever the schema is now (it is re-derived when the functions change).
  const schemaPlugin: Plugin = {
    onEnveloped({ setSchema }) {
      setSchema(currentSchema());
    },
  };
  const plugins: Plugin[] = [
    requestLogPlugin(logger),
    drain.plugin(),
    operationMetricsPlugin(metrics),
    schemaPlugin,
    livePlugin,
    documents.plugin,
    introspectionPlugin,
    getCachingPlugin(options.persistedOperations !== undefined),
    multipartSubscriptionsPlugin({
      dev: options.dev === true,
      ...(options.multipartHeartbeatMs !== undefined
        ? { heartbeatMs: options.multipartHeartbeatMs }
        : {}),
    }),
    ...(options.plugins ?? []),
  ];
  if (options.csrfPrevention === true) {
    // GETs and "simple" POSTs (forms) need a preflight header, so a cross-site form cannot run
    // a mutation; JSON POSTs are not simple and pass.
    plugins.push(
      useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf", "apollo-require-preflight"] }),
    );
  }
  if (options.persistedOperations !== undefined) {
    const store = options.persistedOperations;
    plugins.push(
      usePersistedOperations({
        getPersistedOperation: (key: string) => store[key] ?? null,
        allowArbitraryOperations: false,
      }),
    );
  }

  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
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
    context: (initial): GatewayContext => {
      const request = (initial as { request?: Request }).request;
      const connectionParams = (initial as { connectionParams?: Record<string, unknown> })
        .connectionParams;
      const token = tokenFrom(
        request?.headers.get("authorization") ?? connectionParams?.["authorization"],
      );
      const requestId = requestIdOf(request);
      return {
        requestId,
        token,
        // Over graphql-ws the request is the upgrade's, whose Cache-Control the browser chose.
        fresh: !(initial as { viaWebSocket?: boolean }).viaWebSocket && wantsFreshRead(request),
        convex: httpConvexAccess(
          options.convexUrl,
          token,
          pool,
          upstreamTimeoutMs,
          undefined,
          requestId,
        ),
      };
    },
  });

  const probe = latestTimestampReader(options.convexUrl, options.readinessTimeoutMs ?? 2_000);
  const ops = {
    readiness: () =>
      gatewayReadiness({ schema: currentSchema, probe, closing: () => drain.closing }),
    metrics: () => metrics.render(),
    metricsContentType: metrics.contentType,
  };
  const server = http.createServer(
    withOpsRoutes(
      ops,
      drain.listener(
        withBodyLimit(
          { maxBytes: maxBody, maxDrainBytes: 16 * maxBody, maxNesting: 128 },
          (req, res) => {
            void yoga.requestListener(req, res);
          },
        ),
      ),
    ),
  );

  const prepareOperation = wsOperationPreparer({
    enveloped: (initial) => yoga.getEnveloped(initial) as unknown as Enveloped,
    maxSubscriptions: options.maxSubscriptionsPerConnection ?? 100,
    ...(options.persistedOperations !== undefined
      ? { persistedOperations: options.persistedOperations }
      : {}),
  });

  const dev = options.dev === true;
  const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: maxBody });
  guardFrameNesting(wss, MAX_JSON_NESTING);
  metrics.watch({ pool, live, wsConnections: () => wss.clients.size });
  const stopSlowConsumerGuard = guardSlowConsumers(wss, options.slowConsumer ?? {}, () =>
    metrics.slowConsumerClosed(),
  );
  useServer<WsContext["connectionParams"], { request: http.IncomingMessage }>(
    {
      // Anything thrown while starting one operation fails that operation, never the socket.
      execute: isolatedRun(
        (args: ExecutionArgs) =>
          (args.rootValue as { execute: typeof graphqlExecute }).execute(args),
        dev,
      ) as never,
      subscribe: isolatedRun(
        (args: ExecutionArgs) =>
          (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args),
        dev,
      ) as never,
      onConnect: async (ctx) => {
        // The same precedence as the context factory: the upgrade's header, then connectionParams.
        const token = tokenFrom(
          ctx.extra.request.headers.authorization ?? ctx.connectionParams?.["authorization"],
        );
        if (token === null) return true;
        const verdict = await pool.verify(token, upstreamTimeoutMs);
        const socket = ctx.extra.socket;
        if (verdict === "unavailable") {
          // 1013 Try Again Later: the backend, not the token, is the problem; graphql-ws retries.
          socket.close(1013, "The Convex backend did not answer; try again later.");
          return false;
        }
        // A rejected or expired token: graphql-ws closes with 4403 Forbidden; the client reconnects with a fresh one.
        const accepted = verdict === "accepted";
        if (accepted && socket.readyState === socket.OPEN) {
          let sockets = socketsByToken.get(token);
          if (sockets === undefined) socketsByToken.set(token, (sockets = new Set()));
          sockets.add(socket);
          socket.once("close", () => {
            sockets.delete(socket);
            if (sockets.size === 0 && socketsByToken.get(token) === sockets)
              socketsByToken.delete(token);
          });
        }
        return accepted;
      },
      onSubscribe: (ctx, _id, payload) =>
        isolatedPrepare(() => prepareOperation(ctx, payload), dev),
    },
    wss,
  );

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4000, options.host ?? "127.0.0.1", () => resolve());
  });
  let closing: Promise<void> | null = null;
  const shutDown = async (): Promise<void> => {
    await drainThenClose(server, wss, drain, options.shutdownTimeoutMs ?? 10_000, logger);
    stopSlowConsumerGuard();
    live.dispose();
    await pool.close();
  };
  const address = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/graphql`,
    port: address.port,
    pool,
    live,
    yoga,
    documents: documents.cache,
    close() {
      closing ??= shutDown();
      return closing;
    },
  };
}
