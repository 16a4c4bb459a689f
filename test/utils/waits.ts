/**
 * Bounded waits, the one set every test uses: every awaited promise gets a timeout that names
 * what it waited for, and polling is bounded the same way. The timers are the real ones of
 * `node:timers`, so waits keep working while a test fakes the global timers.
 */
import { clearTimeout as realClearTimeout, setTimeout as realSetTimeout } from "node:timers";

/** Bound for one request or one awaited delivery from a local server. @default 5_000 // ms */
export const STEP_MS = 5_000;

/** How often {@link eventually} checks its condition. // ms */
const POLL_MS = 10;

/** Rejects with `Timed out after <ms> ms waiting for <what>` when `promise` takes longer. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = realSetTimeout(
          () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    realClearTimeout(timer);
  }
}

/** Awaits `promise`, bounded by {@link STEP_MS} unless told otherwise. */
export async function step<T>(promise: Promise<T>, what = "a request", ms = STEP_MS): Promise<T> {
  return within(promise, ms, what);
}

/** Waits `ms` of real time (immune to fake timers). */
export async function delay(ms: number): Promise<void> {
  await new Promise<void>((resolve) => realSetTimeout(resolve, ms));
}

/** Resolves once `condition` holds, checking every 10 ms; rejects after `ms` naming `what`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = STEP_MS,
): Promise<void> {
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped && !(await condition())) await delay(POLL_MS);
  };
  try {
    await within(poll(), ms, what);
  } finally {
    stopped = true; // a timed-out poll stops checking instead of running on in the background
  }
}

/** Stays quiet for `ms`: resolves true when `condition` never became true in that time. */
export async function staysFalse(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return false;
    await delay(POLL_MS);
  }
  return !condition();
}
