/**
 * The operations endpoints of a server (the backend's deployment port, the gateway's port): `GET /healthz` (the process is up:
 * always 200), `GET /readyz` (200 or 503 with the checks as JSON) and `GET /metrics` (Prometheus
 * text format, see metrics.ts). Every other request goes to `next`. HEAD works as GET without a
 * body; other methods get 405. Shared by engine/ and gateway/ (lib/ imports neither).
 */
import type http from "node:http";

/** One readiness check's outcome. */
export interface Check {
  readonly ok: boolean;
  readonly detail?: string;
}

/** What `/readyz` answers (HTTP 200 when `ready`, else 503). */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, Check>>;
}

export interface OpsEndpoints {
  readonly readiness: () => Promise<Readiness>;
  readonly metrics: () => Promise<string>;
  readonly metricsContentType: string;
}

const PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

function reply(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string,
): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

async function answer(
  endpoints: OpsEndpoints,
  path: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const json = "application/json";
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    reply(req, res, 405, json, JSON.stringify({ error: "Method Not Allowed" }));
    return;
  }
  if (path === "/healthz") {
    reply(req, res, 200, json, JSON.stringify({ status: "ok" }));
  } else if (path === "/readyz") {
    const readiness = await endpoints.readiness();
    const body = { status: readiness.ready ? "ready" : "unavailable", checks: readiness.checks };
    reply(req, res, readiness.ready ? 200 : 503, json, JSON.stringify(body));
  } else {
    reply(req, res, 200, endpoints.metricsContentType, await endpoints.metrics());
  }
}

/** Serves the operations endpoints, passing every other request to `next`. */
export function withOpsRoutes(
  endpoints: OpsEndpoints,
  next: http.RequestListener,
): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (!PATHS.has(path)) {
      next(req, res);
      return;
    }
    answer(endpoints, path, req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(req, res, 500, "text/plain", `Internal error: ${String(error)}`);
      else res.destroy();
    });
  };
}
