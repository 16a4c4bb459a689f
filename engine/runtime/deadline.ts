/** Time limits of function executions. */
import { TimeoutError } from "../errors.ts";
import { functionTimeoutText } from "../convex_messages.ts";

/**
 * Resolves as `promise` does, or rejects with a TimeoutError once `ms` have passed
 * (the function's code cannot be stopped; its later syscalls are refused, see execution.ts).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  // One promise and one timer per execution (no Promise.race, no async frame, no `finally`
  // chain): this wraps every call.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(functionTimeoutText(ms))), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as thrown
        reject(error);
      },
    );
  });
}
