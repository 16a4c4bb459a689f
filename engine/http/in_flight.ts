/**
 * HTTP requests in progress, for graceful shutdown: each response counts until it closes.
 */
import type http from "node:http";

/** What `inFlightRequests` returns. */
export interface InFlightRequests {
  /** Counts `res` until it closes. */
  track(res: http.ServerResponse): void;
  /** Resolves true once no response is open, false when `timeoutMs` passed first. */
  settled(timeoutMs: number): Promise<boolean>;
}

/** Counts HTTP responses not yet closed; `settled` waits until none are left, or `timeoutMs`. */
export function inFlightRequests(): InFlightRequests {
  let count = 0;
  let wake: (() => void) | null = null;
  return {
    track(res: http.ServerResponse): void {
      count++;
      res.once("close", () => {
        count--;
        if (count === 0) wake?.();
      });
    },
    async settled(timeoutMs: number): Promise<boolean> {
      if (count === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        new Promise<true>((resolve) => (wake = () => resolve(true))),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      return done;
    },
  };
}
