/**
 * The backend process: an Engine behind an HTTP server (Convex's HTTP API; the sync protocol
 * joins it in part 2), watching `DIR/convex` for changes.
 */
import type fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Engine, type EngineOptions } from "./engine.ts";
import { handleApiRequest, sendRequestError, type CallerResolver } from "./http/api_server.ts";
import { handleStorageRequest, isStorageRoute } from "./http/storage_routes.ts";
import { adminRoutes, handleAdminRequest } from "./http/admin_routes.ts";
import { handleJwksRequest, JWKS_PATH } from "./http/jwks_route.ts";
import { reportDanglingRejections } from "./runtime/dangling_rejections.ts";
import { requestPath } from "./http/request_path.ts";
import { answerStarting, listenSiteServer, type ListeningSiteServer } from "./http/site_server.ts";
import { attachSyncServer, type SyncServer } from "./sync/sync_server.ts";
import { AuthenticationError } from "./auth/auth.ts";
import { AdminKeyError } from "./auth/admin_key.ts";
import { RequestError } from "./errors.ts";
import { pino, type Logger } from "pino";
import { backendMetrics } from "./http/metrics.ts";
import { withOpsRoutes } from "../lib/ops_routes.ts";
import { boundPipelining } from "../lib/pipelining.ts";
import { watchConvexDir } from "../lib/convex_dir_watch.ts";
import { backendReadiness } from "./http/readiness.ts";
import { inFlightRequests } from "./http/in_flight.ts";

export interface BackendOptions extends EngineOptions {
  /** @default 3210 (0 picks a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /**
   * The site port: HTTP actions (`convex/http.ts`) are served there, as on Convex's local
   * backend. @default 3211 (0 picks a free port)
   */
  readonly sitePort?: number;
  /** Reload functions when files under `DIR/convex` change. @default true */
  readonly watch?: boolean;
  /** Where HTTP requests (debug, with the caller's `X-Request-Id`) are logged. @default silent */
  readonly logger?: Logger;
  /**
   * On `close()`, how long HTTP requests, mutations and actions in progress may take to finish
   * before connections are closed anyway. @default 10_000 // ms
   */
  readonly shutdownTimeoutMs?: number;
}

export interface Backend {
  /** `http://HOST:PORT`: the deployment URL to give Convex clients. */
  readonly url: string;
  /** The deployment's admin key (`Authorization: Convex <key>`, `setAdminAuth(key)`). */
  readonly adminKey: string;
  readonly port: number;
  /** `http://HOST:SITE_PORT`: where HTTP actions are served (Convex's site URL). */
  readonly siteUrl: string;
  readonly engine: Engine;
  readonly sync: SyncServer;
  /**
   * Stops accepting connections (`/readyz` answers 503), waits for HTTP requests and for
   * mutations and actions in progress, over HTTP or sync sockets (at most `shutdownTimeoutMs`),
   * closes sync sockets (1012) and the rest, flushes and closes the data file. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * `Authorization` -> the caller: `Bearer <jwt>` verified against `auth.config.ts`, `Convex <admin
 * key>[:<identity>]` checked against the deployment's key; a refusal is a RequestError with
 * Convex's code (NoAuthProvider, InvalidAuthHeader, Unauthenticated: 401; BadDeployKey: 403).
 */
function callerResolver(engine: Engine): CallerResolver {
  // No async frame of its own: this runs for every HTTP function call.
  return (authorization) => engine.credentials.fromHeader(authorization).catch(refusal);
}

/** Refused credentials as a RequestError with Convex's code; anything else as it is. */
function refusal(error: unknown): never {
  if (error instanceof AuthenticationError || error instanceof AdminKeyError) {
    throw new RequestError(error.code, error.message);
  }
  throw error;
}

/** Loopback hosts: an admin key sent to any other over plain HTTP crosses the network in clear. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Reloads the functions 150 ms after the last change under `DIR/convex`. */
function watchFunctions(engine: Engine): fs.FSWatcher {
  return watchConvexDir(engine.convexDir, 150, () => void engine.reload());
}

/** Convex's HTTP API and the storage routes; 404 for anything else. */
function apiListener(engine: Engine, resolveIdentity: CallerResolver): http.RequestListener {
  const admin = adminRoutes(engine);
  return (req, res) => {
    answerRequest(engine, admin, resolveIdentity, req, res).catch((error: unknown) => {
      // A request refused before any route took it (a URL that does not parse) keeps its status.
      const failure =
        error instanceof RequestError
          ? error
          : new RequestError("InternalServerError", String(error));
      sendRequestError(res, failure);
    });
  };
}

/**
 * The first route that takes the request answers it: the storage routes, the deployment's public
 * keys (`/.well-known/jwks.json`), the HTTP API, the admin routes, else 404. The storage routes are told apart by path before they are called, so the
 * HTTP API's requests (every function call) pass without a promise of theirs.
 */
async function answerRequest(
  engine: Engine,
  admin: ReturnType<typeof adminRoutes>,
  resolveIdentity: CallerResolver,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const route = requestPath(req.url);
  if (isStorageRoute(route)) {
    await handleStorageRequest(engine.files, req, res);
    return;
  }
  if (route === JWKS_PATH) {
    await handleJwksRequest(engine.jwtKey, req, res);
    return;
  }
  if (await handleApiRequest(engine, resolveIdentity, req, res)) return;
  if (await handleAdminRequest(admin, resolveIdentity, req, res)) return;
  const body = JSON.stringify({
    code: "NotFound",
    message: `No route for ${req.method ?? "?"} ${req.url ?? "/"}`,
  });
  res.writeHead(404, { "content-type": "application/json" });
  res.end(body);
}

/** Logs a request at debug level, with the request id the gateway sent. */
function logRequest(logger: Logger, req: http.IncomingMessage): void {
  if (!logger.isLevelEnabled("debug")) return;
  const requestId = req.headers["x-request-id"];
  logger.debug({ requestId, method: req.method, path: req.url?.split("?", 1)[0] }, "request");
}

/**
 * Listens on both ports first, so the functions' first load knows the deployment's URLs
 * (`process.env.CONVEX_CLOUD_URL`, `CONVEX_SITE_URL`); requests are answered 503 until the engine
 * started. Then starts the engine and serves it; resolves once it does.
 */
export async function startBackend(options: BackendOptions): Promise<Backend> {
  const host = options.host ?? "127.0.0.1";
  let listener: http.RequestListener = (_req, res) => answerStarting(res);
  const server = http.createServer(boundPipelining((req, res) => listener(req, res)));
  await listen(server, options.port ?? 3210, host);
  const address = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}`;
  let site: ListeningSiteServer | undefined;
  let engine: Engine;
  try {
    site = await listenSiteServer(options.sitePort ?? 3211, host);
    engine = await Engine.start({ ...options, deploymentUrls: { cloud: url, site: site.url } });
  } catch (error) {
    server.close();
    await site?.close();
    throw error;
  }
  const resolveIdentity = callerResolver(engine);
  site.serve({ engine, resolveIdentity });
  const stopReporting = reportDanglingRejections((line) => engine.warn(line));
  if (!isLoopback(host)) {
    engine.warn(
      `⚠ Listening on ${host} over plain HTTP: the admin key and user tokens cross the network unencrypted. Put a TLS proxy in front.`,
    );
  }
  const logger = options.logger ?? pino({ level: "silent" });
  let sessions: () => number = () => 0;
  const metrics = backendMetrics(engine, () => sessions());
  let closing: Promise<void> | null = null;
  const requests = inFlightRequests();
  const apiRoutes = apiListener(engine, resolveIdentity);
  const ops = {
    readiness: () => Promise.resolve(backendReadiness(engine, closing !== null)),
    metrics: () => metrics.render(),
    metricsContentType: metrics.contentType,
  };
  listener = withOpsRoutes(ops, (req, res) => {
    requests.track(res);
    logRequest(logger, req);
    apiRoutes(req, res);
  });
  const sync = attachSyncServer(server, {
    executor: engine.executor,
    committer: engine.committer,
    liveQueries: engine.liveQueries,
    sessionRequests: engine.sessionRequests,
    credentials: engine.credentials,
  });
  sessions = () => sync.sessions.size;
  engine.files.origin = url;

  const watcher = (options.watch ?? true) ? watchFunctions(engine) : null;

  return {
    url,
    adminKey: engine.adminKey,
    port: address.port,
    siteUrl: site.url,
    engine,
    sync,
    close() {
      closing ??= (async () => {
        watcher?.close();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
        if (!(await requests.settled(timeoutMs, () => engine.executor.writesInFlight)))
          logger.warn("shutdown: gave up waiting for HTTP requests");
        sync.close();
        await site.close();
        server.closeAllConnections();
        await serverClosed;
        await engine.close();
        stopReporting();
      })();
      return closing;
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
}
