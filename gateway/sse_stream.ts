/**
 * The body of a streamed result over SSE (`Accept: text/event-stream`, graphql-sse's
 * distinct-connections mode): the bytes Yoga's own SSE processor writes, from a lighter stream.
 *
 *   `:\n\n`                          at once (some browsers wait for a first byte), and every
 *                                    12 s while open (300 ms when NODE_ENV=test, as Yoga does)
 *   `event: next\ndata: RESULT\n\n`  each result
 *   `event: complete\ndata:\n\n`     the stream ended; the response ends
 *
 * Why not Yoga's: a live subscriber over SSE holds its response for as long as it listens, and
 * Yoga's body (a web ReadableStream over a Node stream, a TextEncoder, an interval timer and a
 * dozen closures per response) made an idle SSE subscriber cost about 5 KB more than this one Node
 * `Readable` per response, with one ping timer for all of them.
 */
import { Readable } from "node:stream";
import type { ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { resultJsonWithoutInternals } from "./result_json.ts";

const PING = ":\n\n";
const COMPLETE = "event: complete\ndata:\n\n";
const PING_MS = process.env["NODE_ENV"] === "test" ? 300 : 12_000;
/**
 * Yoga's SSE headers, as pairs: a Fetch `Headers` made from pairs keeps no lower-cased copy of
 * the names beside them, as one made from an object does (two arrays per response).
 */
const HEADERS: [string, string][] = [
  ["content-type", "text/event-stream"],
  ["connection", "keep-alive"],
  ["cache-control", "no-cache"],
  ["content-encoding", "none"],
];

/** Open bodies, pinged together by one timer (running while any is open). */
const open = new Set<SseBody>();
let pinger: NodeJS.Timeout | undefined;

function pingAll(): void {
  for (const body of open) if (body.readableLength === 0) body.push(PING);
}

/** One SSE response's body: pulls the next result whenever its reader wants more bytes. */
class SseBody extends Readable {
  private pulling = false;

  constructor(private readonly results: AsyncIterator<ExecutionResult>) {
    super();
    this.push(PING);
    open.add(this);
    pinger ??= setInterval(pingAll, PING_MS).unref();
  }

  override _read(): void {
    if (this.pulling) return;
    this.pulling = true;
    this.results.next().then(
      (step) => this.pulled(step),
      (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.unlisted();
    // The reader went away: returning the iterator ends the live operation's subscriber.
    void Promise.resolve(this.results.return?.()).finally(() => callback(error));
  }

  private pulled(step: IteratorResult<ExecutionResult>): void {
    this.pulling = false;
    if (this.destroyed) return;
    const result = step.value as ExecutionResult | null | undefined;
    if (result != null) this.push(`event: next\ndata: ${resultJsonWithoutInternals(result)}\n\n`);
    if (step.done === true) {
      this.push(COMPLETE);
      this.push(null);
      this.unlisted();
    }
  }

  private unlisted(): void {
    open.delete(this);
    if (open.size === 0 && pinger !== undefined) {
      clearInterval(pinger);
      pinger = undefined;
    }
  }
}

/**
 * A Yoga plugin answering streamed results with `SseBody` where Yoga would answer with its SSE
 * processor: on requests the gateway marked as SSE (see sse_events.ts, `liveDirectSink` in the
 * server context). Everything else keeps Yoga's processors.
 */
export function sseStreamPlugin(): Plugin {
  return {
    onResultProcess(event) {
      const { result, serverContext } = event;
      if (!isAsyncIterable(result)) return;
      if ((serverContext as { liveDirectSink?: unknown }).liveDirectSink === undefined) return;
      event.setResultProcessor((stream, fetchAPI) => {
        const results = (stream as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
        return new fetchAPI.Response(new SseBody(results) as never, {
          status: 200,
          headers: HEADERS,
        });
      }, "text/event-stream");
    },
  };
}
