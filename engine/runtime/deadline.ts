/** Time limits of function executions. */
import { TimeoutError } from "../errors.ts";
import { functionTimeoutText } from "../convex_messages.ts";

/**
 * Resolves as `promise` does, or rejects with a TimeoutError once `ms` have passed
 * (the function's code cannot be stopped; its later syscalls are refused, see execution.ts).
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(functionTimeoutText(ms))), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
