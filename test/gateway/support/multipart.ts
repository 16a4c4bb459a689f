/**
 * A reader of Apollo's multipart subscription protocol for tests: POSTs an operation with
 * Apollo Client's `Accept`, splits the body on the boundary the response names, and hands out
 * each part's JSON with bounded waits. It keeps the raw text too, so tests can check the framing
 * itself (the closing boundary). Disposing aborts the request (closes the stream).
 */
import { STEP_MS, within } from "../../utils/waits.ts";

/** Apollo Client 4's `Accept` for a subscription over `HttpLink`. */
export const APOLLO_SUBSCRIPTION_ACCEPT =
  "multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/graphql-response+json,application/json;q=0.9";

export class MultipartStream implements AsyncDisposable {
  /** Every part's JSON, heartbeats (`{}`) included, in order. */
  readonly parts: Record<string, unknown>[] = [];
  /** The body as received so far. */
  raw = "";
  /** Set when the body ended (closing boundary read, connection closed, or aborted). */
  ended = false;
  status = 0;
  contentType = "";
  private taken = 0;
  private waiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private reading: Promise<void> = Promise.resolve();

  private constructor() {}

  /** Opens the stream; resolves once the response headers arrived. */
  static async open(
    url: string,
    body: { query: string; variables?: Record<string, unknown> },
    headers: Record<string, string> = {},
  ): Promise<MultipartStream> {
    const stream = new MultipartStream();
    const response = await within(
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: APOLLO_SUBSCRIPTION_ACCEPT,
          ...headers,
        },
        body: JSON.stringify(body),
        signal: stream.abort.signal,
      }),
      STEP_MS,
      "the multipart response headers",
    );
    stream.status = response.status;
    stream.contentType = response.headers.get("content-type") ?? "";
    stream.reading = stream.read(response);
    return stream;
  }

  private async read(response: Response): Promise<void> {
    const boundary = /boundary="?([^";]+)"?/.exec(this.contentType)?.[1] ?? "-";
    const delimiter = `\r\n--${boundary}`;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      if (response.body === null) return;
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        this.raw += text;
        buffer += text;
        let at: number;
        while ((at = buffer.indexOf(delimiter)) !== -1) {
          this.parse(buffer.slice(0, at));
          buffer = buffer.slice(at + delimiter.length);
        }
      }
    } catch {
      // Aborted by dispose, or the connection dropped: either way the stream ended.
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  /** One part: headers, a blank line, JSON (the preamble before the first boundary is empty). */
  private parse(part: string): void {
    const blank = part.indexOf("\r\n\r\n");
    if (blank === -1) return;
    this.parts.push(JSON.parse(part.slice(blank + 4)) as Record<string, unknown>);
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The next part that is not a heartbeat; rejects when the stream ends first. */
  async next(what: string, ms = STEP_MS): Promise<Record<string, unknown>> {
    const wait = async (): Promise<Record<string, unknown>> => {
      for (;;) {
        const part = this.parts[this.taken];
        if (part !== undefined) {
          this.taken++;
          if (Object.keys(part).length > 0) return part;
          continue;
        }
        if (this.ended) throw new Error(`The multipart stream ended while waiting for ${what}`);
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    };
    return within(wait(), ms, what);
  }

  /** Heartbeats (`{}` parts) received so far. */
  get heartbeats(): number {
    return this.parts.filter((part) => Object.keys(part).length === 0).length;
  }

  /** Waits for the server to end the body. */
  async finished(what: string, ms = STEP_MS): Promise<void> {
    await within(this.reading, ms, what);
  }

  /** Closes the stream from the client side and waits for the reader to stop. */
  async close(): Promise<void> {
    this.abort.abort();
    await within(this.reading, STEP_MS, "the multipart reader to stop");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
