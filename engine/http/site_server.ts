/**
 * The site origin (Convex's `.convex.site`; port 3211 for Convex's local backend): the HTTP
 * binding of HTTP actions. Turns each Node request into a `Request` (URL from the `Host` header,
 * every header, the body for methods that have one, at most 20 MiB) and writes the action's
 * `Response` back, streaming its body. Routing, identity and errors: runtime/http_actions.ts.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Engine } from "../engine.ts";
import { boundPipelining } from "../../lib/pipelining.ts";
import { RequestError } from "../errors.ts";
import { ACTION_TIMEOUT_MS } from "../runtime/action_runner.ts";
import {
  MAX_HTTP_ACTION_BODY_BYTES,
  noRouteResponse,
  runHttpAction,
} from "../runtime/http_actions.ts";
import type { CallerResolver } from "./api_server.ts";

export interface SiteServer {
  /** `http://HOST:PORT`: where HTTP actions are served. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests and closes open connections. */
  close(): Promise<void>;
}

export interface SiteServerOptions {
  readonly engine: Engine;
  readonly resolveIdentity: CallerResolver;
  /** @default 3211 (0 picks a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
}

const BODYLESS = new Set(["GET", "HEAD", "OPTIONS"]);

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_HTTP_ACTION_BODY_BYTES) {
      throw new RequestError(
        "PayloadTooLarge",
        `HTTP action request bodies are limited to ${MAX_HTTP_ACTION_BODY_BYTES} bytes.`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Methods `Request` refuses to carry; no route can name them either (Convex routes six). */
const UNROUTABLE = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * The request's URL: its target in absolute form (`POST http://host/path`, which RFC 9112 says
 * wins over `Host`), or `Host` and the path.
 * @throws RequestError (400) naming the target and `Host` when they make no URL.
 */
function requestUrl(req: http.IncomingMessage, fallbackHost: string): URL {
  const target = req.url ?? "/";
  const host = req.headers.host ?? fallbackHost;
  const url = /^https?:\/\//i.test(target)
    ? URL.parse(target)
    : URL.parse(`http://${host}${target}`);
  if (url === null) {
    throw new RequestError(
      "BadRequest",
      `Invalid request URL: ${JSON.stringify(target.slice(0, 64))} with Host ${JSON.stringify(host.slice(0, 64))}.`,
    );
  }
  return url;
}

async function toRequest(req: http.IncomingMessage, url: URL): Promise<Request> {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? "");
  }
  const method = req.method ?? "GET";
  if (BODYLESS.has(method)) return new Request(url, { method, headers });
  return new Request(url, { method, headers, body: new Uint8Array(await readBody(req)) });
}

async function writeResponse(response: Response, res: http.ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  // Status and headers only, as Convex sends them (its HttpActionResponseHead has no statusText):
  // Node writes the standard reason phrase, not the `Response`'s statusText ("" by default).
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!res.write(value)) {
      await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
    if (res.destroyed) {
      await reader.cancel(); // the client went away
      return;
    }
  }
  res.end();
}

/** The identity of a request, or none: a token that is not Convex auth is the app's business. */
async function identityOf(resolve: CallerResolver, req: http.IncomingMessage) {
  try {
    return (await resolve(req.headers.authorization)).identity;
  } catch {
    return null;
  }
}

async function handle(
  options: SiteServerOptions,
  fallbackHost: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  try {
    const url = requestUrl(req, fallbackHost);
    if (UNROUTABLE.has(req.method ?? "")) {
      await writeResponse(noRouteResponse(options.engine.httpRouter, url.pathname), res);
      return;
    }
    const request = await toRequest(req, url);
    const identity = await identityOf(options.resolveIdentity, req);
    const deps = {
      route: (pathname: string) => options.engine.httpRoute(pathname),
      timeoutMs: options.engine.options.actionTimeoutMs ?? ACTION_TIMEOUT_MS,
      stackMapper: () => options.engine.registry.stackMapper,
    };
    await writeResponse(await runHttpAction(deps, request, identity), res);
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const failure =
      error instanceof RequestError ? error : new RequestError("BadRequest", String(error));
    const body = JSON.stringify({ code: failure.code, message: failure.message });
    res.writeHead(failure.httpStatus, { "content-type": "application/json", connection: "close" });
    res.end(body);
  }
}

/** A site server listening before its engine started: requests get 503 until `serve`. */
export interface ListeningSiteServer extends SiteServer {
  /** Starts answering with `options`' engine. */
  serve(options: SiteServerOptions): void;
}

/**
 * Listens on the site port before the engine starts, so its URL is known to the functions'
 * first load (`process.env.CONVEX_SITE_URL`); until `serve`, requests are answered 503.
 */
export async function listenSiteServer(
  port: number,
  host = "127.0.0.1",
): Promise<ListeningSiteServer> {
  let fallbackHost = host;
  let serving: SiteServerOptions | null = null;
  const server = http.createServer(
    boundPipelining((req, res) => {
      if (serving === null) answerStarting(res);
      else void handle(serving, fallbackHost, req, res);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const boundPort = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  fallbackHost = `${urlHost}:${boundPort}`;
  return {
    url: `http://${fallbackHost}`,
    port: boundPort,
    serve(options) {
      serving = options;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts the site server; resolves once it listens. */
export async function startSiteServer(options: SiteServerOptions): Promise<SiteServer> {
  const site = await listenSiteServer(options.port ?? 3211, options.host);
  site.serve(options);
  return site;
}

/** The answer to a request that arrives while the backend is starting (its functions loading). */
export function answerStarting(res: http.ServerResponse): void {
  const body = JSON.stringify({
    code: "BackendStarting",
    message: "The backend is starting: its functions are loading. Try again shortly.",
  });
  res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
  res.end(body);
}
