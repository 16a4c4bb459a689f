/**
 * A depth guard for graphql-ws frames, run before graphql-ws parses them: a frame nested past
 * `maxNesting` levels closes its socket with graphql-ws's own `4400 Bad Request` (the code it
 * uses for frames it cannot parse), without parsing it. Parsing a 1 MiB frame nested half a
 * million levels deep takes a hundred times longer than an ordinary one of that size.
 *
 * graphql-ws's `ws` binding listens for `message` on each socket it is handed; the guard wraps
 * that listener, so it must be installed on the server before `useServer`.
 */
import type { RawData, WebSocket, WebSocketServer } from "ws";
import { jsonTextNestsBeyond } from "../lib/json_depth.ts";

/** graphql-ws's close code for a message it cannot accept (its `CloseCode.BadRequest`). */
const BAD_REQUEST = 4400;

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Refuses, on every socket of `wss`, frames nested deeper than `maxNesting`. */
export function guardFrameNesting(wss: WebSocketServer, maxNesting: number): void {
  wss.on("connection", (socket: WebSocket) => {
    const on = socket.on.bind(socket);
    socket.on = ((event: string, listener: (...args: unknown[]) => void) => {
      if (event !== "message") return on(event, listener);
      return on("message", (data: RawData, isBinary: boolean) => {
        if (jsonTextNestsBeyond(asBuffer(data), maxNesting)) {
          socket.close(BAD_REQUEST, `Message nests deeper than ${maxNesting} levels`);
          return;
        }
        listener(data, isBinary);
      });
    }) as WebSocket["on"];
  });
}
