/**
 * Calls functions through Convex's HTTP API (`POST /api/mutation`, `/api/query`) — the wire the
 * official `ConvexHttpClient` uses — in one of three ways:
 *
 * - `http` (the default): `node:http` over keep-alive connections, one per concurrent caller. It
 *   does little work per call, so the benchmark process stays far from saturating its core and
 *   the numbers describe the engine.
 * - `socket`: the same requests written on keep-alive TCP sockets by `socket_http_caller.ts`,
 *   about a third of `node:http`'s CPU per call: where client and engine share two cores, the
 *   client's CPU is taken from the engine.
 * - `convex`: the official `ConvexHttpClient` with `skipQueue: true`. It builds every request on
 *   `fetch` (undici) and converts values on both ends, which costs the benchmark process several
 *   times more CPU per call; use it to see what an application would see.
 *
 * Function failures come back as values (`{ status: "error" }`), as the HTTP API sends them.
 */
import http from "node:http";
import { SocketHttpClient, type RawResponse } from "./socket_http_caller.ts";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { convexToJson, jsonToConvex, type Value } from "convex/values";

export type ClientKind = "http" | "socket" | "convex";

export type CallResult =
  | { readonly status: "success"; readonly value: Value }
  | { readonly status: "error"; readonly errorMessage: string };

/** A way to call the backend's public functions; `close` releases its connections. */
export interface ApiCaller {
  mutation(path: string, args: Record<string, Value>): Promise<CallResult>;
  query(path: string, args: Record<string, Value>): Promise<CallResult>;
  close(): void;
}

/** Callers of the given kind for the deployment at `url` (`http://host:port`). */
export function createApiCaller(kind: ClientKind, url: string): ApiCaller {
  switch (kind) {
    case "http":
      return new JsonPostCaller(new NodeHttpTransport(url));
    case "socket":
      return new JsonPostCaller(new SocketHttpClient(url));
    case "convex":
      return new ConvexClientCaller(url);
    default:
      return kind satisfies never;
  }
}

/** Parses `--client`. */
export function parseClientKind(text: string): ClientKind {
  if (text === "http" || text === "socket" || text === "convex") return text;
  throw new Error(`--client: expected "http", "socket" or "convex", got ${JSON.stringify(text)}`);
}

/** How a JSON POST travels: `node:http`, or the lean socket client. */
interface HttpTransport {
  /** Sends `body` to `route`; resolves with the status and the response body. */
  post(route: string, body: string): Promise<RawResponse>;
  close(): void;
}

/** A caller that POSTs the HTTP API's JSON bodies over a transport. */
class JsonPostCaller implements ApiCaller {
  constructor(private readonly transport: HttpTransport) {}

  mutation(path: string, args: Record<string, Value>): Promise<CallResult> {
    return this.call("/api/mutation", path, args);
  }

  query(path: string, args: Record<string, Value>): Promise<CallResult> {
    return this.call("/api/query", path, args);
  }

  close(): void {
    this.transport.close();
  }

  private async call(
    route: string,
    path: string,
    args: Record<string, Value>,
  ): Promise<CallResult> {
    const body = JSON.stringify({
      path,
      args: [convexToJson(args)],
      format: "convex_encoded_json",
    });
    const response = await this.transport.post(route, body);
    return toCallResult(response.status, response.body);
  }
}

/** `node:http` with a keep-alive agent. */
class NodeHttpTransport implements HttpTransport {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly target: URL;

  constructor(url: string) {
    this.target = new URL(url);
  }

  close(): void {
    this.agent.destroy();
  }

  post(route: string, body: string): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.target.hostname,
          port: this.target.port,
          method: "POST",
          path: route,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({ status: res.statusCode ?? 0, body: text });
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }
}

function toCallResult(status: number, text: string): CallResult {
  const body = JSON.parse(text) as {
    status?: string;
    value?: unknown;
    errorMessage?: string;
    message?: string;
  };
  if (status === 200 && body.status === "success") {
    return { status: "success", value: jsonToConvex(body.value as never) };
  }
  if (status === 200 && body.status === "error") {
    return { status: "error", errorMessage: body.errorMessage ?? "(no message)" };
  }
  throw new Error(`HTTP ${status} from the backend: ${body.message ?? text}`);
}

class ConvexClientCaller implements ApiCaller {
  private readonly client: ConvexHttpClient;

  constructor(url: string) {
    this.client = new ConvexHttpClient(url, { logger: false });
  }

  async mutation(path: string, args: Record<string, Value>): Promise<CallResult> {
    try {
      const value: unknown = await this.client.mutation(
        makeFunctionReference<"mutation">(path),
        args,
        {
          skipQueue: true,
        },
      );
      return { status: "success", value: value as Value };
    } catch (error) {
      return {
        status: "error",
        errorMessage: error instanceof Error ? error.message : String(error),
      };
    }
  }

  async query(path: string, args: Record<string, Value>): Promise<CallResult> {
    try {
      const value: unknown = await this.client.query(makeFunctionReference<"query">(path), args);
      return { status: "success", value: value as Value };
    } catch (error) {
      return {
        status: "error",
        errorMessage: error instanceof Error ? error.message : String(error),
      };
    }
  }

  close(): void {}
}
