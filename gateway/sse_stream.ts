/**
 * A streamed result over SSE (`Accept: text/event-stream`, graphql-sse's distinct-connections
 * mode), written straight to the Node response: the bytes Yoga's own SSE processor writes.
 *
 *   `:\n\n`                          at once (some browsers wait for a first byte), and every
 *                                    12 s while open (300 ms when NODE_ENV=test, as Yoga does)
 *   `event: next\ndata: RESULT\n\n`  each result
 *   `event: complete\ndata:\n\n`     the stream ended; the response ends
 *
 * Why not Yoga's: a live subscriber over SSE holds its response for as long as it listens, and
 * Yoga's body (a web ReadableStream over a Node stream, piped to the response by the server
 * adapter, a TextEncoder and an interval timer per response) cost an idle SSE subscriber several
 * KB. Here a response holds one small object; one timer pings them all.
 *
 *   created (by the result processor) --start(res)--> streaming --done/close--> ended
 *
 * The next result is pulled only once the response has taken the previous one (its write returned
 * true, or it drained), so a slow reader holds at most one result (the live stream keeps only the
 * newest meanwhile).
 */
import type http from "node:http";
import type { ExecutionResult } from "graphql";
import { resultJsonWithoutInternals } from "./result_json.ts";

const PING = ":\n\n";
const COMPLETE = "event: complete\ndata:\n\n";
const PING_MS = process.env["NODE_ENV"] === "test" ? 300 : 12_000;

/** Streams being written, pinged together by one timer (running while any is open). */
const open = new Set<SseStream>();
let pinger: NodeJS.Timeout | undefined;

function pingAll(): void {
  for (const stream of open) stream.ping();
}

/** Each response's stream, for the response's shared `close` and `drain` listeners. */
const streamOfResponse = new WeakMap<http.ServerResponse, SseStream>();

function onResponseClose(this: http.ServerResponse): void {
  streamOfResponse.get(this)?.stop();
}

function onResponseDrain(this: http.ServerResponse): void {
  streamOfResponse.get(this)?.pull();
}

export class SseStream {
  private res: http.ServerResponse | null = null;
  private pulling = false;
  private ended = false;

  constructor(private readonly results: AsyncIterator<ExecutionResult>) {}

  /** Starts writing to `res`, whose head the caller has written. */
  start(res: http.ServerResponse): void {
    this.res = res;
    streamOfResponse.set(res, this);
    res.on("close", onResponseClose);
    res.on("drain", onResponseDrain);
    if (res.destroyed) return this.stop();
    open.add(this);
    pinger ??= setInterval(pingAll, PING_MS).unref();
    if (res.write(PING)) this.pull();
  }

  /**
   * Pulls the next result, unless one is on its way. Called once the response took everything
   * written so far (a write returned true, or `drain`).
   */
  pull(): void {
    const res = this.res;
    if (res === null || this.pulling || this.ended) return;
    this.pulling = true;
    this.results.next().then(
      (step) => this.pulled(res, step),
      (error: unknown) => this.failed(res, error),
    );
  }

  ping(): void {
    if (this.res !== null && this.res.writableLength === 0) this.res.write(PING);
  }

  /** The response closed (the reader left, or the stream completed): ends the results. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.unlist();
    void this.results.return?.();
  }

  private pulled(res: http.ServerResponse, step: IteratorResult<ExecutionResult>): void {
    this.pulling = false;
    if (this.ended) return;
    const result = step.value as ExecutionResult | null | undefined;
    const more =
      result == null || res.write(`event: next\ndata: ${resultJsonWithoutInternals(result)}\n\n`);
    if (step.done === true) {
      this.ended = true;
      this.unlist();
      res.end(COMPLETE);
      return;
    }
    if (more) this.pull();
  }

  /** The results failed (they never should: live streams hand errors over as results). */
  private failed(res: http.ServerResponse, error: unknown): void {
    this.pulling = false;
    this.ended = true;
    this.unlist();
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  }

  private unlist(): void {
    open.delete(this);
    if (open.size === 0 && pinger !== undefined) {
      clearInterval(pinger);
      pinger = undefined;
    }
  }
}
