/**
 * Slow consumers: a graphql-ws socket whose client stops reading must not hold the gateway's
 * memory. Sends already wait for the socket (graphql-ws awaits each send, and a live operation
 * keeps only its newest result for a subscriber that is behind), so a stalled socket holds at
 * most one pending message per subscription; this guard also cuts the socket off, so that its
 * subscriptions stop and the client learns about it.
 *
 * Every `checkMs`, each open socket's `bufferedAmount` (bytes `ws` holds that the kernel has not
 * taken) is compared with `maxBufferedBytes`. A socket over the limit at two checks in a row is
 * closed with 4008 (see close_codes.ts: graphql-ws clients reconnect and resubscribe, getting the
 * current results), and destroyed `graceMs` later if its client never read the close frame.
 * One large result on a healthy connection drains between two checks and is not mistaken for one.
 */
import type { WebSocket, WebSocketServer } from "ws";
import { CLOSE_CODES } from "./close_codes.ts";

export interface SlowConsumerOptions {
  /** @default 4_194_304 // bytes (4 MiB) */
  readonly maxBufferedBytes?: number;
  /** @default 1_000 // ms */
  readonly checkMs?: number;
  /** How long a closed socket may take to read its close frame before it is destroyed. @default 5_000 // ms */
  readonly graceMs?: number;
}

export const DEFAULT_SLOW_CONSUMER = {
  maxBufferedBytes: 4 * 1024 * 1024,
  checkMs: 1_000,
  graceMs: 5_000,
} as const;

/**
 * Watches the sockets of `wss`; `onClose` is called for each socket it closes. Returns a function
 * that stops the watch.
 */
export function guardSlowConsumers(
  wss: WebSocketServer,
  options: SlowConsumerOptions,
  onClose: () => void,
): () => void {
  const max = options.maxBufferedBytes ?? DEFAULT_SLOW_CONSUMER.maxBufferedBytes;
  const graceMs = options.graceMs ?? DEFAULT_SLOW_CONSUMER.graceMs;
  /** Sockets that were over the limit at the previous check. */
  let over = new Set<WebSocket>();
  const check = (): void => {
    const now = new Set<WebSocket>();
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN || socket.bufferedAmount <= max) continue;
      if (!over.has(socket)) {
        now.add(socket);
        continue;
      }
      socket.close(
        CLOSE_CODES.slowConsumer,
        `Slow consumer: more than ${max} bytes waiting to be sent`,
      );
      const destroy = setTimeout(() => socket.terminate(), graceMs);
      destroy.unref();
      socket.once("close", () => clearTimeout(destroy));
      onClose();
    }
    over = now;
  };
  const timer = setInterval(check, options.checkMs ?? DEFAULT_SLOW_CONSUMER.checkMs);
  timer.unref();
  return () => clearInterval(timer);
}
