/**
 * The wire's limit, the baseline of `bench/fanout.ts`: a plain `ws` server and a plain HTTP
 * server, with nothing of GraphQL, that write to every subscriber the bytes the gateway would send
 * for the same value, serialised once per update and written socket after socket in one loop.
 *
 * - graphql-transport-ws (WebSocket on `/graphql`): `connection_init` gets `connection_ack`, a
 *   `subscribe` registers its id; each update is the frame
 *   `{"id":ID,"type":"next","payload":{"data":{"countersGet":N}}}`, encoded once per distinct id
 *   (every benchmark subscriber uses the same id) and sent as the same Buffer to every socket.
 * - SSE (any other request on `/graphql`): a `text/event-stream` response that starts with `:`
 *   (as Yoga's does), then `event: next\ndata: {"data":{"countersGet":N}}\n\n` per update.
 *
 * Like a live query, it sends the latest value, not every one: publishes that arrive while a
 * broadcast runs (the server is saturated) are coalesced into one broadcast of the newest value,
 * after the current one. Without that, a saturated baseline would queue every value and its
 * latency would grow without bound, while the gateway skips stale values.
 */
import http from "node:http";
import { WebSocketServer, type WebSocket } from "ws";
import { listenOnLoopback } from "../../lib/listen.ts";

export interface RawBroadcast {
  /** `http://127.0.0.1:PORT/graphql` */
  readonly url: string;
  /** Open WebSocket connections plus open SSE streams. */
  readonly connections: number;
  /** Writes `value` to every subscriber, soon (coalesced with any newer value meanwhile). */
  publish(value: number): void;
  close(): Promise<void>;
}

/** The frames are text, as graphql-ws sends them (a Buffer would go as a binary frame). */
const SEND_AS_TEXT = { binary: false } as const;

function payloadOf(value: number): string {
  return JSON.stringify({ data: { countersGet: value } });
}

/** graphql-transport-ws: the subscribers by socket, their subscription id. */
function serveWs(server: http.Server): { wss: WebSocketServer; ids: Map<WebSocket, string> } {
  const wss = new WebSocketServer({ server, path: "/graphql", perMessageDeflate: false });
  const ids = new Map<WebSocket, string>();
  wss.on("connection", (socket) => {
    socket.on("message", (data) => {
      const message = JSON.parse((data as Buffer).toString("utf8")) as {
        type: string;
        id?: string;
      };
      switch (message.type) {
        case "connection_init":
          socket.send('{"type":"connection_ack"}');
          return;
        case "ping":
          socket.send('{"type":"pong"}');
          return;
        case "subscribe":
          ids.set(socket, message.id ?? "");
          return;
        case "complete":
          ids.delete(socket);
          return;
        default:
          return;
      }
    });
    socket.on("close", () => ids.delete(socket));
  });
  return { wss, ids };
}

/** Starts the raw broadcast on a free port of 127.0.0.1. */
export async function startRawBroadcast(): Promise<RawBroadcast> {
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      connection: "keep-alive",
      "cache-control": "no-cache",
    });
    res.write(":\n\n");
    streams.add(res);
    res.on("close", () => streams.delete(res));
  });
  const { wss, ids } = serveWs(server);
  /** One loop of writes: the value's frame (or event), encoded once, to every subscriber. */
  const broadcast = (value: number): void => {
    const payload = payloadOf(value);
    const frames = new Map<string, Buffer>();
    for (const [socket, id] of ids) {
      let frame = frames.get(id);
      if (frame === undefined) {
        frame = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`);
        frames.set(id, frame);
      }
      socket.send(frame, SEND_AS_TEXT);
    }
    if (streams.size === 0) return;
    const event = Buffer.from(`event: next\ndata: ${payload}\n\n`);
    for (const res of streams) res.write(event);
  };
  let latest = 0;
  let scheduled = false;
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    get connections() {
      return wss.clients.size + streams.size;
    },
    publish(value) {
      latest = value;
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        broadcast(latest);
      });
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const res of streams) res.destroy();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
