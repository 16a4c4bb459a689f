/**
 * The fast path of a live result over SSE (Yoga's `text/event-stream` answer to a subscription or
 * `@live` query): the event `event: next\ndata: RESULT\n\n` is built once per result from its
 * JSON text (made once for all subscribers, live/live_operation.ts) and written straight to each
 * response, instead of through the response's stream (Yoga's envelope and several promises per
 * subscriber, then sse_stream.ts). The bytes are the ones Yoga's SSE stream sends.
 *
 * Anything the fast path cannot take goes the usual way, through the stream, which also keeps the
 * order: a result with errors (Yoga masks them), a response whose head is not sent yet, and a
 * response with bytes still waiting (a slow reader holds at most one event, as before).
 */
import type http from "node:http";
import type { ExecutionResult } from "graphql";
import { serializedResult } from "./live/live_operation.ts";
import type { DirectSink } from "./live/registry.ts";
import { acceptsMultipartSubscriptions } from "./multipart_subscriptions.ts";

/** Per delivered result, while it is referenced: its SSE event's bytes. */
const eventOfResult = new WeakMap<ExecutionResult, Buffer>();

function nextEvent(result: ExecutionResult, json: string): Buffer {
  let event = eventOfResult.get(result);
  if (event === undefined) {
    event = Buffer.from(`event: next\ndata: ${json}\n\n`);
    eventOfResult.set(result, event);
  }
  return event;
}

/**
 * True when Yoga answers a stream on this request with SSE: its `Accept` names
 * `text/event-stream`, and not Apollo's multipart subscriptions (multipart_subscriptions.ts).
 */
export function answersWithSse(accept: string | undefined): boolean {
  if (accept === undefined || !/text\/event-stream/i.test(accept)) return false;
  return !acceptsMultipartSubscriptions(accept);
}

/** The direct sink of an SSE response. */
export function sseDirectSink(res: http.ServerResponse): DirectSink {
  return (result) => {
    const json = serializedResult(result);
    if (json === undefined) return false;
    if (!res.headersSent || res.writableEnded || res.destroyed || res.writableLength > 0) {
      return false;
    }
    res.write(nextEvent(result, json));
    return true;
  };
}
