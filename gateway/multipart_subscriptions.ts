/**
 * Apollo's multipart HTTP protocol for subscriptions (what Apollo Client's `HttpLink` speaks by
 * default): a `POST` whose `Accept` names `multipart/mixed` with `subscriptionSpec=1.0` gets one
 * long response, `multipart/mixed;boundary="graphql";subscriptionSpec="1.0"`, whose parts are
 * JSON objects:
 *
 * | part                                | when                                                  |
 * | ----------------------------------- | ----------------------------------------------------- |
 * | `{"payload": <GraphQL result>}`     | each result (execution errors travel inside the payload) |
 * | `{}`                                | a heartbeat, every `heartbeatMs` (5 s), so proxies keep the stream |
 * | `{"payload": null, "errors": [..]}` | the stream failed (its source rejected, or a result came with no `data`); it then ends |
 * | closing boundary `--graphql--`      | the subscription completed                            |
 *
 * Each part is followed at once by the next boundary, so a client (Apollo Client splits on
 * `\r\n--graphql`) hands it over without waiting for the next event. A client that goes away
 * cancels the body stream, which returns the result iterator: the live operation releases its
 * upstream subscriptions. graphql-ws and SSE are untouched: this only answers requests that ask
 * for it, with a result that is a stream.
 */
import { GraphQLError, type ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { errorJson } from "./result_json.ts";

export interface MultipartOptions {
  /** How often an idle stream sends `{}`. @default 5_000 // ms (Apollo Router's interval) */
  readonly heartbeatMs?: number;
  /** Development mode: a transport-level error keeps its message (else masked). @default false */
  readonly dev?: boolean;
}

const BOUNDARY = "graphql";
const CONTENT_TYPE = `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`;
const DELIMITER = `\r\n--${BOUNDARY}`;

/** True when an `Accept` header asks for Apollo's multipart subscriptions. */
export function acceptsMultipartSubscriptions(accept: string | null): boolean {
  if (accept === null) return false;
  return accept.split(",").some((range) => {
    const [type, ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    return (
      type === "multipart/mixed" &&
      params.some((param) => param.replace(/"/g, "").replace(/\s/g, "") === "subscriptionspec=1.0")
    );
  });
}

/** One part's body and the boundary that closes it. */
function part(json: string): string {
  return `\r\ncontent-type: application/json\r\n\r\n${json}${DELIMITER}`;
}

/** `{payload}` for a result, its errors serialised as the other transports do. */
function payloadPart(result: ExecutionResult): string {
  const payload: Record<string, unknown> = { data: result.data ?? null };
  if (result.errors !== undefined) payload["errors"] = result.errors.map(errorJson);
  const extensions = { ...result.extensions };
  delete extensions["http"];
  if (Object.keys(extensions).length > 0) payload["extensions"] = extensions;
  return part(JSON.stringify({ payload }));
}

/** `{payload: null, errors}` for a stream that failed; unexpected errors masked outside dev. */
function failurePart(errors: readonly unknown[], dev: boolean): string {
  const shown = errors.map((error) =>
    error instanceof GraphQLError
      ? error
      : new GraphQLError(dev && error instanceof Error ? error.message : "Unexpected error.", {
          extensions: { code: "INTERNAL_SERVER_ERROR" },
        }),
  );
  return part(JSON.stringify({ payload: null, errors: shown.map(errorJson) }));
}

/**
 * A result with no `data` entry is, in GraphQL's terms, an error raised before execution: for a
 * stream, the stream itself failed (Yoga hands a source stream's rejection on this way).
 */
function streamFailure(result: ExecutionResult): readonly unknown[] | null {
  return "data" in result ? null : (result.errors ?? [new Error("The result stream failed.")]);
}

/** The response streaming `results` as Apollo's multipart protocol. */
function multipartResponse(
  results: AsyncIterable<ExecutionResult>,
  fetchAPI: { ReadableStream: typeof ReadableStream; Response: typeof Response },
  options: Required<MultipartOptions>,
): Response {
  const iterator = results[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let heartbeat: NodeJS.Timeout | undefined;
  let ended = false;
  const end = (controller: ReadableStreamDefaultController<Uint8Array>, last: string): void => {
    ended = true;
    clearInterval(heartbeat);
    controller.enqueue(encoder.encode(`${last}--\r\n`));
    controller.close();
  };
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(DELIMITER));
      heartbeat = setInterval(() => {
        if (!ended) controller.enqueue(encoder.encode(part("{}")));
      }, options.heartbeatMs);
      heartbeat.unref();
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (ended) return;
        if (next.done === true) return end(controller, "");
        const failure = streamFailure(next.value);
        if (failure === null) return controller.enqueue(encoder.encode(payloadPart(next.value)));
        end(controller, failurePart(failure, options.dev));
        await iterator.return?.();
      } catch (error) {
        if (!ended) end(controller, failurePart([error], options.dev));
      }
    },
    async cancel() {
      // The client went away: returning the iterator releases the live operation upstream.
      ended = true;
      clearInterval(heartbeat);
      await iterator.return?.();
    },
  });
  return new fetchAPI.Response(body, {
    status: 200,
    headers: { "content-type": CONTENT_TYPE, "cache-control": "no-store" },
  });
}

/**
 * A Yoga plugin answering streamed results (subscriptions, `@live` queries) in Apollo's multipart
 * protocol when the request's `Accept` asks for it. Other results keep Yoga's processors.
 */
export function multipartSubscriptionsPlugin(options: MultipartOptions = {}): Plugin {
  const settings = { heartbeatMs: options.heartbeatMs ?? 5_000, dev: options.dev ?? false };
  return {
    onResultProcess(event) {
      const { request, result } = event;
      if (!isAsyncIterable(result)) return;
      if (!acceptsMultipartSubscriptions(request.headers.get("accept"))) return;
      event.setResultProcessor(
        (stream, fetchAPI) =>
          multipartResponse(stream as AsyncIterable<ExecutionResult>, fetchAPI, settings),
        "multipart/mixed",
      );
    },
  };
}
