/**
 * One existing GraphQL API merged into the gateway (`--merge URL`): its executor (GraphQL over
 * HTTP, subscriptions over SSE, the caller's `Authorization` forwarded) and its schema, fetched
 * by introspection. Explicit states:
 *
 *   loading --introspected--> available --a call cannot reach it--> unavailable
 *   loading --unreachable--> unavailable --retry (backoff) introspected--> available
 *
 * While unavailable it is retried in the background (`retryMs`, doubling up to `maxRetryMs`);
 * its fields answer `MERGED_API_UNAVAILABLE`. Every change of state or schema is reported to
 * `onChange`, so the served schema is rebuilt.
 */
import { GraphQLError, OperationTypeNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { buildHTTPExecutor } from "@graphql-tools/executor-http";
import type { ExecutionRequest, Executor } from "@graphql-tools/utils";
import { schemaFromExecutor } from "@graphql-tools/wrap";
import { isAsyncIterable } from "graphql-yoga";
import { speaksGraphqlWs, WsSubscriptions } from "./ws_subscriptions.ts";

/** The code of every error that says a merged API could not be reached. */
export const MERGED_API_UNAVAILABLE = "MERGED_API_UNAVAILABLE";

export interface MergedApiOptions {
  /** Its GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  readonly url: string;
  /**
   * Prefix for its types and root fields (`legacy`: `Dish` -> `LegacyDish`, `menu` ->
   * `legacyMenu`), for APIs whose names clash with the Convex app's. @default none
   */
  readonly prefix?: string;
}

export interface MergedApiTiming {
  /** Bound for one call (and one introspection). @default 30_000 // ms */
  readonly timeoutMs?: number;
  /** First wait before retrying an unreachable API. @default 1_000 // ms */
  readonly retryMs?: number;
  /** Longest wait between retries. @default 30_000 // ms */
  readonly maxRetryMs?: number;
}

export type MergedApiState =
  | { readonly kind: "loading" }
  | { readonly kind: "available"; readonly schema: GraphQLSchema }
  | {
      readonly kind: "unavailable";
      readonly schema: GraphQLSchema | null;
      readonly reason: string;
    };

/** Raised by our fetch when the API cannot be reached: a code, so it is classified by code. */
class Unreachable extends Error {
  readonly code = MERGED_API_UNAVAILABLE;
}

/** The caller's bearer token (the gateway's request context), if any. */
function tokenOf(context: unknown): string | null {
  const token = (context as { token?: unknown } | undefined)?.token;
  return typeof token === "string" ? token : null;
}

/** Only the bearer token travels to the merged API (nothing else of the caller's request). */
function callerHeaders(context: unknown): Record<string, string> {
  const token = tokenOf(context);
  return token !== null ? { authorization: `Bearer ${token}` } : {};
}

export class MergedApi {
  state: MergedApiState = { kind: "loading" };
  readonly executor: Executor;
  /** How its subscriptions travel: graphql-ws when it answers the handshake, else SSE. */
  subscriptionsOver: "graphql-ws" | "sse" = "sse";
  private readonly ws: WsSubscriptions;
  private retryTimer: NodeJS.Timeout | null = null;
  private nextRetryMs: number;
  private closed = false;

  constructor(
    readonly options: MergedApiOptions,
    private readonly timing: MergedApiTiming,
    private readonly onChange: () => void,
  ) {
    this.nextRetryMs = timing.retryMs ?? 1_000;
    const http = buildHTTPExecutor({
      endpoint: options.url,
      // A subscription's stream lasts as long as the client wants: no bound on it.
      timeout: (request) =>
        request.operationType === OperationTypeNode.SUBSCRIPTION ? 0 : (timing.timeoutMs ?? 30_000),
      headers: (request) => callerHeaders(request?.context),
      fetch: (async (input: string, init?: RequestInit) => {
        try {
          return await fetch(input, init);
        } catch (error) {
          throw new Unreachable(String((error as Error).cause ?? error));
        }
      }) as never,
    });
    this.ws = new WsSubscriptions(options.url);
    const route = (request: ExecutionRequest): unknown =>
      this.subscriptionsOver === "graphql-ws" &&
      request.operationType === OperationTypeNode.SUBSCRIPTION
        ? this.ws.for(tokenOf(request.context))(request as never)
        : http(request as never);
    // (Two copies of @graphql-tools/utils disagree on the request's type: the shape is the same.)
    this.executor = ((request: never) => this.checked(route(request) as never)) as Executor;
  }

  /** Fetches the schema; on failure the API is unavailable and retried in the background. */
  async load(): Promise<void> {
    try {
      const schema = await schemaFromExecutor(this.executor);
      if (schema.getSubscriptionType() !== undefined && schema.getSubscriptionType() !== null) {
        const timeoutMs = Math.min(this.timing.timeoutMs ?? 30_000, 5_000);
        const ws = await speaksGraphqlWs(this.options.url, timeoutMs);
        this.subscriptionsOver = ws ? "graphql-ws" : "sse";
      }
      this.nextRetryMs = this.timing.retryMs ?? 1_000;
      this.setState({ kind: "available", schema });
    } catch (error) {
      this.markUnavailable(error instanceof Error ? error.message : String(error));
    }
  }

  /** The schema last introspected, if any. */
  get schema(): GraphQLSchema | null {
    return this.state.kind === "loading" ? null : this.state.schema;
  }

  close(): void {
    this.closed = true;
    void this.ws.close();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
  }

  private setState(state: MergedApiState): void {
    if (this.closed) return;
    const changed =
      state.kind !== this.state.kind || this.schema !== (state as { schema?: unknown }).schema;
    this.state = state;
    if (changed) this.onChange();
  }

  private markUnavailable(reason: string): void {
    this.setState({ kind: "unavailable", schema: this.schema, reason });
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.load();
    }, this.nextRetryMs);
    this.retryTimer.unref();
    this.nextRetryMs = Math.min(this.nextRetryMs * 2, this.timing.maxRetryMs ?? 30_000);
  }

  /** Maps "could not reach it" to `MERGED_API_UNAVAILABLE`, and hides the executor's internals. */
  private async checked(
    pending: ReturnType<Executor>,
  ): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> {
    const result = (await pending) as ExecutionResult | AsyncIterable<ExecutionResult>;
    if (isAsyncIterable(result) || result.errors === undefined) return result;
    const unreachable = result.errors.find(
      (error) =>
        (error.originalError as { code?: unknown } | undefined)?.code === MERGED_API_UNAVAILABLE,
    );
    if (unreachable === undefined) return result;
    this.markUnavailable(unreachable.originalError?.message ?? unreachable.message);
    return { errors: [this.unavailableError()] };
  }

  /** The error a field of this API answers while it cannot be reached. */
  unavailableError(): GraphQLError {
    return new GraphQLError(
      `The merged GraphQL API at ${this.options.url} is unavailable; the gateway keeps retrying it.`,
      { extensions: { code: MERGED_API_UNAVAILABLE } },
    );
  }
}
