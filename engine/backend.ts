/**
 * The backend process: an Engine behind an HTTP server (Convex's HTTP API; the sync protocol
 * joins it in part 2), watching `DIR/convex` for changes.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Engine, type EngineOptions } from "./engine.ts";
import { handleApiRequest, type CallerResolver } from "./http/api_server.ts";
import { handleStorageRequest } from "./http/storage_routes.ts";
import { startSiteServer, type SiteServer } from "./http/site_server.ts";
import { attachSyncServer, type SyncServer } from "./sync/sync_server.ts";
import { AuthenticationError } from "./auth/auth.ts";
import { AdminKeyError } from "./auth/admin_key.ts";
import { RequestError } from "./errors.ts";

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
  /** Stops accepting connections, closes open ones, flushes and closes the data file. */
  close(): Promise<void>;
}

/**
 * `Authorization` -> the caller: `Bearer <jwt>` verified against `auth.config.ts`, `Convex <admin
 * key>[:<identity>]` checked against the deployment's key; a refusal is a RequestError with
 * Convex's code (NoAuthProvider, InvalidAuthHeader, Unauthenticated: 401; BadDeployKey: 403).
 */
function callerResolver(engine: Engine): CallerResolver {
  return async (authorization) => {
    try {
      return await engine.credentials.fromHeader(authorization);
    } catch (error) {
      if (error instanceof AuthenticationError || error instanceof AdminKeyError) {
        throw new RequestError(error.code, error.message);
      }
      throw error;
    }
  };
}

/** Loopback hosts: an admin key sent to any other over plain HTTP crosses the network in clear. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Starts the engine and its HTTP server; resolves once it is listening. */
export async function startBackend(options: BackendOptions): Promise<Backend> {
  const engine = await Engine.start(options);
  const resolveIdentity = callerResolver(engine);
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host)) {
    engine.warn(
      `⚠ Listening on ${host} over plain HTTP: the admin key and user tokens cross the network unencrypted. Put a TLS proxy in front.`,
    );
  }
  const server = http.createServer((req, res) => {
    handleStorageRequest(engine.files, req, res)
      .then((handled) => handled || handleApiRequest(engine, resolveIdentity, req, res))
      .then((handled) => {
        if (handled) return;
        const body = JSON.stringify({
          code: "NotFound",
          message: `No route for ${req.method ?? "?"} ${req.url ?? "/"}`,
        });
        res.writeHead(404, { "content-type": "application/json" });
        res.end(body);
      })
      .catch((error: unknown) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "InternalServerError", message: String(error) }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 3210, options.host ?? "127.0.0.1", () => resolve());
  });
  let site: SiteServer;
  try {
    site = await startSiteServer({
      engine,
      resolveIdentity,
      port: options.sitePort ?? 3211,
      host: options.host ?? "127.0.0.1",
    });
  } catch (error) {
    server.close();
    await engine.close();
    throw error;
  }
  const sync = attachSyncServer(server, {
    executor: engine.executor,
    committer: engine.committer,
    liveQueries: engine.liveQueries,
    sessionRequests: engine.sessionRequests,
    credentials: engine.credentials,
  });
  const address = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${address.port}`;
  engine.files.origin = url;

  let watcher: fs.FSWatcher | null = null;
  if (options.watch ?? true) {
    let timer: NodeJS.Timeout | null = null;
    watcher = fs.watch(engine.convexDir, { recursive: true }, (_event, file) => {
      if (file !== null && (file.startsWith("_generated") || file.startsWith("."))) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void engine.reload();
      }, 150);
    });
  }

  return {
    url,
    adminKey: engine.adminKey,
    port: address.port,
    siteUrl: site.url,
    engine,
    sync,
    async close() {
      watcher?.close();
      sync.close();
      await site.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
    },
  };
}
