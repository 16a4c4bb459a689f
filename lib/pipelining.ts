/**
 * HTTP/1.1 pipelining, bounded. A client may send requests back to back without reading the
 * answers. Node's server parses every request a read brings and queues the answers in order; it
 * stops reading only once written answers pile up, which handlers that answer asynchronously do
 * too late: one connection sending `GET /readyz` without reading held 100,000 requests (500 MB)
 * within 6 s, and three stalled every other client. Past `max` requests unanswered on one
 * connection, the connection is closed and the requests after it are never handled: a client that
 * does not read its answers could not read an error either. No browser pipelines, and
 * HTTP clients that do keep a few requests in flight.
 */
import type http from "node:http";
import type { Socket } from "node:net";

/** Most requests one connection may have unanswered at once. */
export const MAX_PIPELINED_REQUESTS = 64;

/** Wraps `listener` so that no connection has more than `max` requests unanswered. */
export function boundPipelining(
  listener: http.RequestListener,
  max: number = MAX_PIPELINED_REQUESTS,
): http.RequestListener {
  const unanswered = new WeakMap<Socket, number>();
  return (req, res) => {
    const socket = req.socket;
    const count = (unanswered.get(socket) ?? 0) + 1;
    if (count > max || socket.destroyed) {
      socket.destroy(); // the rest of what it already sent is dropped unhandled
      return;
    }
    unanswered.set(socket, count);
    res.once("close", () => unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1));
    listener(req, res);
  };
}
