/**
 * A small `fetch` for the upstream HTTP API over `node:http(s)` with keep-alive agents. Node's
 * built-in fetch (undici) cost about as much CPU per call as the whole Convex query in gateway
 * profiles; the official `ConvexHttpClient` accepts any `fetch`, so it gets this one.
 */
import http from "node:http";
import https from "node:https";
import { UpstreamUnavailable } from "./unavailable.ts";

// Idle sockets are dropped before a server's usual 5 s keep-alive timeout closes them under us.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });

/** Reads are safe to send again; a mutation or action never is. */
function isRetryable(url: URL): boolean {
  return (
    url.pathname.endsWith("/query") ||
    url.pathname.endsWith("/query_ts") ||
    url.pathname.endsWith("/query_at_ts")
  );
}

/**
 * The part of a fetch `Response` the official HTTP client reads (`ok`, `status`, `text()`,
 * `json()`, and `headers` for good measure): building a full undici `Response` per call cost
 * more than the rest of the exchange.
 */
function upstreamResponse(message: http.IncomingMessage, body: Buffer): Response {
  const status = message.statusCode ?? 500;
  const response = {
    ok: status >= 200 && status < 300,
    status,
    statusText: message.statusMessage ?? "",
    get headers(): Headers {
      const headers = new Headers();
      for (const [name, value] of Object.entries(message.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) for (const each of value) headers.append(name, each);
      }
      return headers;
    },
    text: () => Promise.resolve(body.toString("utf8")),
    json: (): Promise<unknown> => {
      try {
        return Promise.resolve(JSON.parse(body.toString("utf8")) as unknown);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
  return response as unknown as Response;
}

/** `fetch(url, init)` for JSON request/response exchanges; rejects after `timeoutMs`. */
export function nodeFetch(timeoutMs: number): typeof fetch {
  const attempt = (
    input: Parameters<typeof fetch>[0],
    init: RequestInit | undefined,
    retried: boolean,
  ): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(
        typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
      );
      const transport = url.protocol === "https:" ? https : http;
      const headers: Record<string, string> = {};
      const given = init?.headers;
      if (given !== undefined && !(given instanceof Headers) && !Array.isArray(given)) {
        // The plain object ConvexHttpClient passes: no Headers object needed.
        for (const [name, value] of Object.entries(given)) headers[name.toLowerCase()] = value;
      } else {
        new Headers(given).forEach((value, name) => {
          headers[name] = value;
        });
      }
      const body = init?.body;
      if (body !== undefined && body !== null && typeof body !== "string") {
        reject(new TypeError("nodeFetch only sends string bodies"));
        return;
      }
      if (body !== undefined && body !== null)
        headers["content-length"] = String(Buffer.byteLength(body));
      const request = transport.request(
        url,
        {
          method: init?.method ?? "GET",
          headers,
          agent: url.protocol === "https:" ? httpsAgent : httpAgent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve(upstreamResponse(response, Buffer.concat(chunks))));
          response.on("error", reject);
        },
      );
      request.setTimeout(timeoutMs, () => {
        request.destroy(
          new UpstreamUnavailable(`Request to ${url.origin} timed out after ${timeoutMs} ms`),
        );
      });
      request.on("error", (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed just as we reused it: try once more on a new one.
        if (!retried && request.reusedSocket && error.code === "ECONNRESET" && isRetryable(url)) {
          attempt(input, init, true).then(resolve, reject);
          return;
        }
        reject(error);
      });
      if (body !== undefined && body !== null) request.end(body);
      else request.end();
    });
  return (input, init) => attempt(input, init, false);
}
