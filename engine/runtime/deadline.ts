/** Time limits of function executions. */
import { TimeoutError } from "../errors.ts";

/**
 * Resolves as `promise` does, or rejects with a TimeoutError naming `path` once `ms` have passed
 * (the function's code cannot be stopped; its later syscalls are refused, see execution.ts).
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, path: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TimeoutError(
            `Function ${path} execution timed out (maximum duration: ${ms / 1000}s).`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
