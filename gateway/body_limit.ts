/**
 * The request body limit, enforced before Yoga sees a request. An oversized body gets
 * `413 Payload Too Large` reliably: the body is read and discarded up to `maxDrainBytes` before
 * the answer is sent, so the client is not reset while it is still sending (a socket closed with
 * unread data answers the sender with a TCP reset, and most clients then report the reset instead
 * of the 413). Beyond `maxDrainBytes` the answer goes out at once and the connection closes.
 */
import type http from "node:http";
import { Readable } from "node:stream";

export interface BodyLimits {
  /** Largest body accepted. @default 1_048_576 (1 MiB) */
  readonly maxBytes: number;
  /** Most bytes of an oversized body read (and dropped) before answering 413. @default 16 MiB */
  readonly maxDrainBytes: number;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function answerTooLarge(res: http.ServerResponse, maxBytes: number): void {
  if (res.headersSent) return;
  res.writeHead(413, { "content-type": "application/json", connection: "close" });
  res.end(
    JSON.stringify({ errors: [{ message: `Request body is larger than ${maxBytes} bytes.` }] }),
  );
}

/**
 * Reads and drops the rest of an oversized body, then answers 413. When more than
 * `maxDrainBytes` arrive, answers at once and closes the connection once the answer is out.
 */
function refuse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limits: BodyLimits,
  alreadyRead: number,
): void {
  let drained = alreadyRead;
  const giveUp = (): void => {
    req.removeAllListeners("data");
    res.once("finish", () => req.destroy());
    answerTooLarge(res, limits.maxBytes);
  };
  if (drained > limits.maxDrainBytes) return giveUp();
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > limits.maxDrainBytes) giveUp();
  });
  req.once("end", () => answerTooLarge(res, limits.maxBytes));
  req.once("error", () => req.destroy());
  req.resume();
}

/** Reads a body of unknown length (chunked) within the limit; hands `next` a copy of it. */
function readChunked(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limits: BodyLimits,
  next: Handler,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= limits.maxBytes) {
      chunks.push(chunk);
      return;
    }
    req.off("data", onData);
    req.off("end", onEnd);
    chunks.length = 0;
    refuse(req, res, limits, size);
  };
  const onEnd = (): void => {
    const body = Buffer.concat(chunks);
    const copy = Object.assign(Readable.from([body]), {
      method: req.method,
      url: req.url,
      headers: { ...req.headers, "content-length": String(body.length) },
      socket: req.socket,
      connection: req.socket,
      httpVersion: req.httpVersion,
    });
    next(copy as unknown as http.IncomingMessage, res);
  };
  req.on("data", onData);
  req.once("end", onEnd);
  req.once("error", () => res.destroy());
}

/** Wraps `next` so that it only sees requests whose body is within `limits.maxBytes`. */
export function withBodyLimit(limits: BodyLimits, next: Handler): Handler {
  return (req, res) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined) {
      const length = Number(declared);
      // A body too large to drain is refused at once (as if that much had been read already).
      if (length > limits.maxBytes)
        refuse(req, res, limits, length > limits.maxDrainBytes ? length : 0);
      else next(req, res);
      return;
    }
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") {
      next(req, res);
      return;
    }
    readChunked(req, res, limits, next);
  };
}
