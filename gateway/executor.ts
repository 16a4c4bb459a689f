/**
 * How the gateway runs an operation, as one Yoga plugin:
 * - a subscription, or a query marked `@live`, becomes a shared live operation
 *   (live/registry.ts) that re-runs whenever a Convex query it read changes;
 * - anything else runs once, reading and writing through the access its identity's upstream
 *   sessions hand out (upstream/sessions.ts decides between pushed results and Convex itself).
 */
import { createHash } from "node:crypto";
import {
  execute as graphqlExecute,
  getOperationAST,
  OperationTypeNode,
  print,
  type ExecutionArgs,
  type ExecutionResult,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { ConvexAccess, GatewayContext, RequestContext } from "./context.ts";
import type { LiveRegistry } from "./live/registry.ts";
import type { UpstreamSessions } from "./upstream/sessions.ts";

export interface ExecutorOptions {
  readonly upstream: UpstreamSessions;
  readonly live: LiveRegistry;
  /** Keep the queries a one-off query read this long, to answer repeats (0: never). */
  readonly queryCacheMs: number;
}

/**
 * Executes with graphql-js. A request error (variables that do not coerce) comes back as errors
 * without `data`; Yoga's own executor marks those HTTP 400, so this does too.
 */
async function executeWith(args: ExecutionArgs, context: GatewayContext): Promise<ExecutionResult> {
  const result = await graphqlExecute({ ...args, contextValue: context });
  if (!("data" in result)) {
    for (const error of result.errors ?? []) {
      Object.defineProperty(error, "extensions", {
        value: { ...error.extensions, http: { status: 400 } },
      });
    }
  }
  return result;
}

/** Ids of documents and schemas for `operationKey` (one object per parsed text). */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

function objectId(object: object): number {
  let id = objectIds.get(object);
  if (id === undefined) objectIds.set(object, (id = nextObjectId++));
  return id;
}

/**
 * One name per (schema, document, operation name, variables): what an upstream read can vouch
 * for. A digest, so that large variables cost no memory; -0 is kept apart from 0 (GraphQL and
 * Convex tell them apart).
 */
function operationKey(args: ExecutionArgs): string {
  const variables = JSON.stringify(args.variableValues ?? {}, (_key, value: unknown) =>
    Object.is(value, -0) ? "\u0000-0" : value,
  );
  return createHash("sha256")
    .update(`${objectId(args.schema)}\u0000${objectId(args.document)}\u0000`)
    .update(`${args.operationName ?? ""}\u0000${variables}`)
    .digest("base64");
}

type OperationKind = "live" | "query" | "other";

function operationKind(args: ExecutionArgs): OperationKind {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation === OperationTypeNode.SUBSCRIPTION) return "live";
  if (operation?.operation !== OperationTypeNode.QUERY) return "other";
  const live = (operation.directives ?? []).some((directive) => directive.name.value === "live");
  return live ? "live" : "query";
}

export function executorPlugin(options: ExecutorOptions): Plugin {
  const { upstream, live } = options;

  const runLive = (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> => {
    const context = args.contextValue as RequestContext;
    const key = {
      document: print(args.document),
      operationName: args.operationName ?? null,
      variables: args.variableValues ?? null,
      token: context.token,
    };
    const execute = (convex: ConvexAccess) => executeWith(args, { ...context, convex });
    return live.subscribe(key, execute, context.liveDirectSink);
  };

  const runOnce = async (args: ExecutionArgs): Promise<ExecutionResult> => {
    const context = args.contextValue as RequestContext;
    let operation: string | null = null;
    const request = {
      token: context.token,
      query: operationKind(args) === "query",
      fresh: context.fresh,
      warmMs: options.queryCacheMs,
      operation: () => (operation ??= operationKey(args)),
      requestId: context.requestId,
    };
    let readUpstream = false;
    for (let attempt = 0; ; attempt++) {
      const convex = upstream.access(request, attempt, readUpstream);
      const result = convex.reused?.() ?? (await executeWith(args, { ...context, convex }));
      const finish = await convex.finish(result);
      if (finish === "done") return result;
      readUpstream = finish === "upstream";
    }
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(runLive as never);
    },
    onExecute({ args, setExecuteFn }) {
      setExecuteFn((operationKind(args) === "live" ? runLive : runOnce) as never);
    },
  };
}
