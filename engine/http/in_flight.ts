/**
 * Work in progress, for graceful shutdown: HTTP responses not yet closed, plus whatever else the
 * caller counts (the executor's mutations and actions, which also arrive over sync sockets).
 */
import type http from "node:http";

/** What `inFlightRequests` returns. */
export interface InFlightRequests {
  /** Counts `res` until it closes. */
  track(res: http.ServerResponse): void;
  /**
   * Resolves true once no response is open and `busy()` is 0 (checked every 10 ms, then one more
   * turn of the event loop so that answers already computed are sent), false when `timeoutMs`
   * passed first.
   */
  settled(timeoutMs: number, busy?: () => number): Promise<boolean>;
}

/** Counts HTTP responses not yet closed. */
export function inFlightRequests(): InFlightRequests {
  let count = 0;
  return {
    track(res: http.ServerResponse): void {
      count++;
      res.once("close", () => count--);
    },
    async settled(timeoutMs: number, busy = () => 0): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      while (count + busy() > 0) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setImmediate(resolve));
      return true;
    },
  };
}
