/**
 * The SSE binding: requests whose `Accept` Yoga answers with SSE (see sse_events.ts) go through
 * Yoga without its Node response writer, so that a streamed result (a subscription or `@live`
 * query) is written by an `SseStream` (sse_stream.ts) straight to the response. Every other
 * answer to such a request (a single result as an SSE stream, an error) is written as Yoga's
 * adapter would: status, headers, body. Other requests go to Yoga's own listener, untouched.
 *
 * Per request, the binding hands Yoga (as server context) the response's direct sink for live
 * results (`liveDirectSink`, see gateway/context.ts) and an `SseAnswer` that `sseStreamPlugin`
 * fills in when it answers with a stream.
 */
import { once } from "node:events";
import type http from "node:http";
import type { ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { answersWithSse, sseDirectSink } from "./sse_events.ts";
import { SseStream } from "./sse_stream.ts";

/** What the binding needs of Yoga (its server adapter's Node entry points). */
export interface SseYoga {
  readonly requestListener: http.RequestListener;
  handleNodeRequestAndResponse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    context: Record<string, unknown>,
  ): Response | Promise<Response>;
}

/** One SSE request's streamed answer, as the result processor leaves it for the binding. */
interface SseAnswer {
  response: Response | null;
  stream: SseStream | null;
}

/** Yoga's SSE headers, as pairs (a Fetch `Headers` then keeps no lower-cased copy beside them). */
const HEADERS: [string, string][] = [
  ["content-type", "text/event-stream"],
  ["connection", "keep-alive"],
  ["cache-control", "no-cache"],
  ["content-encoding", "none"],
];

/**
 * A Yoga plugin answering streamed results with an `SseStream` where Yoga would answer with its
 * SSE processor: on requests the binding marked (`liveSse` in the server context).
 */
export function sseStreamPlugin(): Plugin {
  return {
    onResultProcess(event) {
      const { result, serverContext } = event;
      const answer = (serverContext as { liveSse?: SseAnswer }).liveSse;
      if (answer === undefined || !isAsyncIterable(result)) return;
      event.setResultProcessor((results, fetchAPI) => {
        const iterable = results as AsyncIterable<ExecutionResult>;
        answer.stream = new SseStream(iterable[Symbol.asyncIterator]());
        answer.response = new fetchAPI.Response(null, { status: 200, headers: HEADERS });
        return answer.response;
      }, "text/event-stream");
    },
  };
}

/**
 * Writes `response`'s status and headers to `res`, in one `writeHead` (headers set one by one
 * would stay in the response, in an object of their own, for as long as a stream lasts).
 */
function writeHead(res: http.ServerResponse, response: Response): void {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  if (response.statusText === "") res.writeHead(response.status, headers);
  else res.writeHead(response.status, response.statusText, headers);
}

/** Writes `response` (status, headers, body) to `res`, waiting for the reader as it goes. */
async function sendResponse(res: http.ServerResponse, response: Response): Promise<void> {
  writeHead(res, response);
  const body = response.body as AsyncIterable<Uint8Array> | null;
  if (body !== null) {
    for await (const chunk of body) {
      if (res.destroyed) break; // leaving the loop cancels the body
      if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
    }
  }
  res.end();
}

async function answerSse(
  yoga: SseYoga,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const answer: SseAnswer = { response: null, stream: null };
  const context = { req, res, liveDirectSink: sseDirectSink(res), liveSse: answer };
  let response: Response;
  try {
    response = await yoga.handleNodeRequestAndResponse(req, res, context);
  } catch {
    // Yoga answers its own errors; this is the adapter failing (as its listener, answer 500).
    answer.stream?.stop();
    if (!res.headersSent) res.writeHead(500);
    res.end();
    return;
  }
  const { stream, response: streamedResponse } = answer;
  // The context outlives this call (the live stream holds it): it keeps neither.
  answer.stream = null;
  answer.response = null;
  if (stream === null || streamedResponse !== response) {
    // A plugin may have answered with another response: the stream is then not needed.
    stream?.stop();
    await sendResponse(res, response);
    return;
  }
  // A long-lived response, as Yoga's adapter configures one.
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true);
  writeHead(res, response);
  stream.start(res);
}

/** Yoga's listener, with requests that Yoga answers with SSE going through the SSE binding. */
export function sseListener(yoga: SseYoga): http.RequestListener {
  return (req, res) => {
    if (!answersWithSse(req.headers.accept)) return void yoga.requestListener(req, res);
    // Writing a body can fail (its stream errors): the response is then cut off.
    answerSse(yoga, req, res).catch(() => res.destroy());
  };
}
