/**
 * A Yoga plugin that times every GraphQL operation for the metrics (gateway/metrics.ts), over
 * HTTP, SSE and graphql-ws alike: from the start of execution to its result (for a subscription
 * or an `@live` query, to the moment its stream is set up).
 */
import { getOperationAST, OperationTypeNode, type ExecutionArgs } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { GatewayMetrics, OperationType } from "./metrics.ts";

function operationType(args: ExecutionArgs): OperationType {
  const operation = getOperationAST(args.document, args.operationName);
  switch (operation?.operation) {
    case OperationTypeNode.QUERY:
      return "query";
    case OperationTypeNode.MUTATION:
      return "mutation";
    case OperationTypeNode.SUBSCRIPTION:
      return "subscription";
    default:
      return "other";
  }
}

function hasErrors(result: unknown): boolean {
  if (typeof result !== "object" || result === null) return false;
  if (Symbol.asyncIterator in result) return false; // a stream: its events are not counted
  const errors = (result as { errors?: readonly unknown[] }).errors;
  return errors !== undefined && errors.length > 0;
}

/**
 * Records each operation's type, outcome and duration in `metrics`. Its hooks are the same
 * objects for every operation (a subscription keeps them as long as it lives).
 */
export function operationMetricsPlugin(metrics: GatewayMetrics): Plugin {
  /** When each running operation started (performance.now()), by its arguments. */
  const started = new WeakMap<ExecutionArgs, number>();
  const start = ({ args }: { args: ExecutionArgs }): void => {
    started.set(args, performance.now());
  };
  const done = ({ args, result }: { args: ExecutionArgs; result: unknown }): void => {
    const start = started.get(args);
    if (start === undefined) return;
    started.delete(args);
    const seconds = (performance.now() - start) / 1_000;
    metrics.operation(operationType(args), seconds, !hasErrors(result));
  };
  const executeDone = { onExecuteDone: done };
  const subscribeDone = { onSubscribeResult: done };
  return {
    onExecute(event) {
      start(event);
      return executeDone;
    },
    onSubscribe(event) {
      start(event);
      return subscribeDone;
    },
  };
}
