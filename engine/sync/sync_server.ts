/**
 * The `ws` binding of the sync protocol: upgrades `/api/<client version>/sync` and `/api/sync`
 * on the backend's HTTP server and hands each socket to a `SyncSession`. Binary frames, frames
 * over the size limit and malformed frames close only the offending socket.
 */
import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { RequestError } from "../errors.ts";
import { requestPath } from "../http/request_path.ts";
import { SyncSession, type SessionDeps } from "./session.ts";
import { clientReassemblesChunks, TRANSITION_CHUNK_CHARS } from "./transition.ts";

/** Largest accepted client frame (function args are limited to 16 MiB). @default 20 MiB */
export const MAX_FRAME_BYTES = 20 * 1024 * 1024;

const SYNC_PATH = /^\/api\/(?:[^/]+\/)?sync$/;

export interface SyncServer {
  /** Open sessions. */
  readonly sessions: ReadonlySet<SyncSession>;
  /** Closes every socket with a reason that makes clients reconnect. */
  close(): void;
}

/** The path an upgrade request asks for, or null when its URL does not parse (e.g. `//[`). */
function upgradePath(url: string | undefined): string | null {
  try {
    return requestPath(url);
  } catch (error) {
    if (error instanceof RequestError) return null;
    throw error;
  }
}

/** Attaches the sync endpoint to `server`. */
export function attachSyncServer(server: http.Server, deps: SessionDeps): SyncServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const sessions = new Set<SyncSession>();
  const sockets = new Set<WebSocket>();

  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = upgradePath(req.url);
    if (path === null || !SYNC_PATH.test(path)) {
      socket.end(
        `HTTP/1.1 ${path === null ? "400 Bad Request" : "404 Not Found"}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    const chunkChars = clientReassemblesChunks(path) ? TRANSITION_CHUNK_CHARS : null;
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      const session = new SyncSession(
        {
          send: (text, onWritten) => {
            if (ws.readyState === ws.OPEN) ws.send(text, onWritten && (() => onWritten()));
            else onWritten?.();
          },
          close: (code, reason) => ws.close(code, reason),
        },
        deps,
        { chunkChars },
      );
      sessions.add(session);
      ws.on("message", (data, isBinary) => {
        if (isBinary) {
          ws.close(1003, "BinaryFramesNotSupported");
          // Frames already on their way must not run: the session ends now, not when the close completes.
          session.dispose();
          return;
        }
        session.receive(
          Buffer.isBuffer(data)
            ? data.toString("utf8")
            : Array.isArray(data)
              ? Buffer.concat(data).toString("utf8")
              : Buffer.from(data).toString("utf8"),
        );
      });
      ws.on("close", () => {
        sockets.delete(ws);
        sessions.delete(session);
        session.dispose();
      });
      ws.on("error", () => {
        // e.g. a frame over maxPayload: ws closes the socket with 1009; the close handler cleans up.
      });
    });
  });

  return {
    sessions,
    close() {
      for (const ws of sockets) ws.close(1012, "InternalServerError");
      for (const session of sessions) session.dispose();
      wss.close();
    },
  };
}
