/**
 * What the gateway runs for one graphql-ws `subscribe` message: the operation's execution
 * arguments through Yoga's envelope (the same plugins, limits and context as over HTTP), or its
 * errors. Anything it throws is turned into that operation's errors by ws_isolation.ts.
 */
import { GraphQLError, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from "graphql";
import type { Context as GraphqlWsContext, SubscribePayload } from "graphql-ws";
import type { Extra as WsExtra } from "graphql-ws/use/ws";
import { persistedSource, type PersistedStore } from "./persisted.ts";
import { wsDirectSink } from "./ws_next_frames.ts";

/** What `yoga.getEnveloped` hands a graphql-ws subscription (typed here: Yoga's are generic). */
export interface Enveloped {
  schema: GraphQLSchema;
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  contextFactory: () => Promise<unknown>;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
}

/** The graphql-ws context of a socket (its upgrade request in `extra`). */
export type WsContext = GraphqlWsContext<Record<string, unknown> | undefined, WsExtra>;

export interface WsOperationOptions {
  /** Yoga's envelope for one operation (`yoga.getEnveloped`). */
  readonly enveloped: (initial: Record<string, unknown>) => Enveloped;
  /** The Fetch API's Request that Yoga uses (`yoga.fetchAPI.Request`). */
  readonly Request: typeof Request;
  /** Most subscriptions on one socket. */
  readonly maxSubscriptions: number;
  /** When set, only these operations (by id) run, as over HTTP. */
  readonly persistedOperations?: PersistedStore;
}

/** A socket's upgrade request as a Fetch Request, one per socket (see `upgradeRequest`). */
const upgradeRequests = new WeakMap<WsContext["extra"]["request"], Request>();

/**
 * The upgrade request as a Fetch Request (Yoga's schema factory and plugins expect one), made
 * with Yoga's own fetch API as Yoga makes one over HTTP (the headers are the upgrade's, not
 * copied), once per socket and shared by its subscriptions.
 */
function upgradeRequest(ctx: WsContext, RequestClass: typeof Request): Request {
  const upgrade = ctx.extra.request;
  let request = upgradeRequests.get(upgrade);
  if (request === undefined) {
    // POST: the operation may be a mutation, which Yoga refuses over GET.
    request = new RequestClass(`http://localhost${upgrade.url ?? "/graphql"}`, {
      method: "POST",
      headers: upgrade.headers as HeadersInit,
    });
    upgradeRequests.set(upgrade, request);
  }
  return request;
}

/** Builds graphql-ws's `onSubscribe` work: execution arguments, or the operation's errors. */
export function wsOperationPreparer(options: WsOperationOptions) {
  return async (
    ctx: WsContext,
    id: string,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    // graphql-ws has registered this id already: the count includes it.
    if (Object.keys(ctx.subscriptions).length > options.maxSubscriptions) {
      const limit = options.maxSubscriptions;
      return [new GraphQLError(`Too many subscriptions on this connection (limit ${limit}).`)];
    }
    const { schema, execute, subscribe, contextFactory, parse, validate } = options.enveloped({
      ...ctx,
      request: upgradeRequest(ctx, options.Request),
      req: ctx.extra.request,
      socket: ctx.extra.socket,
      viaWebSocket: true,
      // A live operation's results reach this subscription's socket without its stream.
      liveDirectSink: wsDirectSink(ctx.extra.socket, ctx.subscriptions, id),
      params: payload,
    });
    // Over the socket too, only known operations run (by id, as over HTTP).
    const persisted = options.persistedOperations;
    const source = persisted === undefined ? payload.query : persistedSource(payload, persisted);
    if (typeof source !== "string") return source;
    // A syntax error (or a limit) throws: isolatedPrepare fails this operation only.
    const document = parse(source);
    const args: ExecutionArgs = {
      schema,
      operationName: payload.operationName ?? null,
      document,
      variableValues: payload.variables ?? null,
      contextValue: await contextFactory(),
      rootValue: { execute, subscribe },
    };
    const errors = validate(args.schema, args.document);
    return errors.length > 0 ? errors : args;
  };
}
