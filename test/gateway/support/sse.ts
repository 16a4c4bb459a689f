/**
 * A GraphQL-over-SSE reader for tests (Yoga's "distinct connections" mode): POSTs an operation
 * with `Accept: text/event-stream`, parses the stream into `{ event, data }` messages, and hands
 * them out one by one with bounded waits. Disposing aborts the request (closes the stream).
 */
import { type WireResult } from "./gateway.ts";
import { STEP_MS, within } from "../../utils/waits.ts";

export interface SseMessage {
  /** `next`, `complete`, or `message` when the event has no name. */
  readonly event: string;
  readonly data: string;
}

export class SseStream implements AsyncDisposable {
  readonly messages: SseMessage[] = [];
  /** Set when the stream ended (the server closed it or the reader failed). */
  ended = false;
  private taken = 0;
  private waiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private reading: Promise<void> = Promise.resolve();
  status = 0;
  contentType = "";

  private constructor() {}

  /** Opens the stream; resolves once the response headers arrived. */
  static async open(
    url: string,
    body: { query: string; variables?: Record<string, unknown> },
    headers: Record<string, string> = {},
  ): Promise<SseStream> {
    const stream = new SseStream();
    const response = await within(
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
        body: JSON.stringify(body),
        signal: stream.abort.signal,
      }),
      STEP_MS,
      "the SSE response headers",
    );
    stream.status = response.status;
    stream.contentType = response.headers.get("content-type") ?? "";
    stream.reading = stream.read(response);
    return stream;
  }

  private async read(response: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      if (response.body === null) return;
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.parse(block);
        }
      }
    } catch {
      // Aborted by dispose, or the connection dropped: either way the stream ended.
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private parse(block: string): void {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // a comment (keep-alive ping)
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length === 0 && event === "message") return;
    this.messages.push({ event, data: data.join("\n") });
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The next message not taken yet; rejects when the stream ends first. */
  async next(what: string, ms = STEP_MS): Promise<SseMessage> {
    const wait = async (): Promise<SseMessage> => {
      for (;;) {
        const message = this.messages[this.taken];
        if (message !== undefined) {
          this.taken++;
          return message;
        }
        if (this.ended) throw new Error(`The SSE stream ended while waiting for ${what}`);
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    };
    return within(wait(), ms, what);
  }

  /** The next `next` event's result. */
  async nextResult(what: string, ms = STEP_MS): Promise<WireResult> {
    const message = await this.next(what, ms);
    if (message.event !== "next") {
      throw new Error(`Expected a "next" event for ${what}, got ${JSON.stringify(message)}`);
    }
    return JSON.parse(message.data) as WireResult;
  }

  /** Closes the stream from the client side and waits for the reader to stop. */
  async close(): Promise<void> {
    this.abort.abort();
    await within(this.reading, STEP_MS, "the SSE reader to stop");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
