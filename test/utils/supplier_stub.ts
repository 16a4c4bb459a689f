/**
 * A stand-in for an external HTTP service that actions call (a supplier's price API), on
 * 127.0.0.1:0: `GET /price?item=NAME` answers `{ item, price }` with a price derived from the
 * name; `POST /ready?order=ID` (the example app's kitchen:notifyOrderReady) answers the text
 * `confirmed ID`; either answers the status a test set with `failWith` instead. Every request is recorded. Disposable with
 * `await using`.
 */
import http from "node:http";
import { listenOnLoopback } from "../../lib/listen.ts";

export interface SupplierStub extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Path and query of every request received, in order. */
  readonly requests: readonly string[];
  /** Answers every later request with `status` (null: answer normally again). */
  failWith(status: number | null): void;
}

/** The price the stub quotes for `item`. */
export function stubPrice(item: string): number {
  return item.length * 1.5;
}

/** Starts a stub supplier on 127.0.0.1:0. */
export async function startSupplierStub(): Promise<SupplierStub> {
  const requests: string[] = [];
  let failure: number | null = null;
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "/");
    const url = new URL(req.url ?? "/", "http://stub");
    if (failure === null && url.pathname === "/ready" && req.method === "POST") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`confirmed ${url.searchParams.get("order") ?? ""}`);
      return;
    }
    if (failure !== null || url.pathname !== "/price") {
      res.writeHead(failure ?? 404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "unavailable" }));
      return;
    }
    const item = url.searchParams.get("item") ?? "";
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ item, price: stubPrice(item) }));
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failWith(status) {
      failure = status;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
