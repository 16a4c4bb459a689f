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

/** Records each operation's type, outcome and duration in `metrics`. */
export function operationMetricsPlugin(metrics: GatewayMetrics): Plugin {
  const timed = (args: ExecutionArgs) => {
    const start = performance.now();
    const type = operationType(args);
    return (result: unknown): void =>
      metrics.operation(type, (performance.now() - start) / 1_000, !hasErrors(result));
  };
  return {
    onExecute({ args }) {
      const done = timed(args);
      return { onExecuteDone: ({ result }) => done(result) };
    },
    onSubscribe({ args }) {
      const done = timed(args);
      return { onSubscribeResult: ({ result }) => done(result) };
    },
  };
}
