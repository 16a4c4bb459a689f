/**
 * The request body limits, enforced before Yoga sees a request: its size, and for JSON bodies how
 * deeply they nest (checked on the text, before `JSON.parse`: parsing a body nested hundreds of
 * thousands of levels costs far more than its bytes, and every later walk of it recurses). A body
 * nested past `maxNesting` gets 400 with a GraphQL error (`BAD_USER_INPUT`). An oversized body gets
 * `413 Payload Too Large` reliably: the body is read and discarded up to `maxDrainBytes` before
 * the answer is sent, so the client is not reset while it is still sending (a socket closed with
 * unread data answers the sender with a TCP reset, and most clients then report the reset instead
 * of the 413). Beyond `maxDrainBytes` the answer goes out at once and the connection closes.
 */
import type http from "node:http";
import { Readable } from "node:stream";
import { jsonTextNestsBeyond } from "../lib/json_depth.ts";

export interface BodyLimits {
  /** Largest body accepted. @default 1_048_576 (1 MiB) */
  readonly maxBytes: number;
  /** Most bytes of an oversized body read (and dropped) before answering 413. @default 16 MiB */
  readonly maxDrainBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body. @default 128 */
  readonly maxNesting: number;
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

function answerTooNested(res: http.ServerResponse, limit: number): void {
  res.writeHead(400, { "content-type": "application/json" });
  const message = `The request body nests deeper than ${limit} levels (a Convex value nests at most 64).`;
  res.end(JSON.stringify({ errors: [{ message, extensions: { code: "BAD_USER_INPUT" } }] }));
}

/** Hands `next` a copy of the request whose body is `body` (already read). */
function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
  next: Handler,
): void {
  const copy = Object.assign(Readable.from([body]), {
    method: req.method,
    url: req.url,
    headers: { ...req.headers, "content-length": String(body.length) },
    socket: req.socket,
    connection: req.socket,
    httpVersion: req.httpVersion,
  });
  next(copy as unknown as http.IncomingMessage, res);
}

/** Reads a body within the limit, checks its nesting, and hands `next` a copy of it. */
function readBody(
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
    const json = /json/i.test(req.headers["content-type"] ?? "");
    if (json && jsonTextNestsBeyond(body, limits.maxNesting))
      answerTooNested(res, limits.maxNesting);
    else forward(req, res, body, next);
  };
  req.on("data", onData);
  req.once("end", onEnd);
  req.once("error", () => res.destroy());
}

/** Wraps `next` so that it only sees requests whose body is within `limits`. */
export function withBodyLimit(limits: BodyLimits, next: Handler): Handler {
  return (req, res) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined) {
      const length = Number(declared);
      // A body too large to drain is refused at once (as if that much had been read already).
      if (length > limits.maxBytes) {
        refuse(req, res, limits, length > limits.maxDrainBytes ? length : 0);
        return;
      }
    }
    const bodiless = req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS";
    if (bodiless || declared === "0") next(req, res);
    else readBody(req, res, limits, next);
  };
}
