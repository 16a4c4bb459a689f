/** Bounds the wait for an upstream answer (the answer itself is not cancelled). */
import { UpstreamUnavailable } from "./unavailable.ts";

/** Resolves or rejects like `pending`, or rejects with "`what` timed out" after `timeoutMs`. */
export async function withTimeout<T>(
  pending: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new UpstreamUnavailable(
            `${what} timed out after ${timeoutMs} ms: the Convex backend may be unreachable.`,
          ),
        ),
      timeoutMs,
    );
    timer.unref();
  });
  // A late failure of `pending` must not surface as an unhandled rejection.
  pending.catch(() => {});
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
