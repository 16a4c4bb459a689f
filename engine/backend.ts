/**
 * The backend process: an Engine behind an HTTP server (Convex's HTTP API; the sync protocol
 * joins it in part 2), watching `DIR/convex` for changes.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Engine, type EngineOptions } from "./engine.ts";
import { handleApiRequest, type IdentityResolver } from "./http/api_server.ts";

export interface BackendOptions extends EngineOptions {
  /** @default 3210 (0 picks a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Reload functions when files under `DIR/convex` change. @default true */
  readonly watch?: boolean;
}

export interface Backend {
  /** `http://HOST:PORT`: the deployment URL to give Convex clients. */
  readonly url: string;
  readonly port: number;
  readonly engine: Engine;
  /** Stops accepting connections, closes open ones, flushes and closes the data file. */
  close(): Promise<void>;
}

const anonymous: IdentityResolver = async () => Promise.resolve(null);

/** Starts the engine and its HTTP server; resolves once it is listening. */
export async function startBackend(options: BackendOptions): Promise<Backend> {
  const engine = await Engine.start(options);
  const server = http.createServer((req, res) => {
    handleApiRequest(engine, anonymous, req, res)
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
  const address = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  const urlHost = host.includes(":") ? `[${host}]` : host;

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
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    engine,
    async close() {
      watcher?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
    },
  };
}
