/**
 * Isolation of operations on one graphql-ws socket. graphql-ws closes the whole socket with 4500
 * (taking every other subscription on it down) when its `onSubscribe`, `execute` or `subscribe`
 * hook throws. These wrappers turn anything thrown while preparing or starting one operation into
 * an `error` message for that operation's id only; protocol violations are graphql-ws's own and
 * keep their close codes.
 */
import { GraphQLError } from "graphql";

/** What a failed operation reports: GraphQL errors as they are, anything else masked unless `dev`. */
export function operationError(error: unknown, dev: boolean): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const message = dev && error instanceof Error ? error.message : "Unexpected error.";
  return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
}

/**
 * Runs `prepare` (graphql-ws's `onSubscribe` work); whatever it throws becomes that operation's
 * errors, which graphql-ws sends as one `error` message.
 */
export async function isolatedPrepare<T>(
  prepare: () => Promise<T>,
  dev: boolean,
): Promise<T | readonly GraphQLError[]> {
  try {
    return await prepare();
  } catch (error) {
    return [operationError(error, dev)];
  }
}

/** A stream that fails at once: graphql-ws reports it as an `error` message for its id. */
function failedStream(error: GraphQLError): AsyncIterableIterator<never> {
  const stream: AsyncIterableIterator<never> = {
    next: () => Promise.reject(error),
    return: () => Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

/** Wraps graphql-ws's `execute`/`subscribe` hook: a throw fails that operation only. */
export function isolatedRun<A>(
  run: (args: A) => unknown,
  dev: boolean,
): (args: A) => Promise<unknown> {
  return async (args) => {
    try {
      return await run(args);
    } catch (error) {
      return failedStream(operationError(error, dev));
    }
  };
}
