/**
 * The fast path of a live result over graphql-ws: the `next` frame
 * `{"id":ID,"type":"next","payload":RESULT}` is built from the result's JSON text, made once for
 * all its subscribers (live/live_operation.ts), and written straight to the socket, instead of
 * each subscriber's stream going through Yoga's envelope and graphql-ws (several promises and a
 * JSON.stringify per subscriber). The bytes are the ones graphql-ws would send.
 *
 * Frames are encoded once per (result, subscription id) for the first few ids of a result (many
 * clients use the same id, e.g. "1"), else built per socket from the payload's bytes, encoded once.
 *
 * Anything the fast path cannot take goes the usual way, through the stream: a result with errors
 * (Yoga masks them), a subscription graphql-ws no longer holds, and a socket with bytes still
 * waiting (graphql-ws awaits each send, so a slow client holds at most one frame per
 * subscription; see slow_consumer.ts).
 */
import type { ExecutionResult } from "graphql";
import type { WebSocket } from "ws";
import { serializedResult } from "./live/live_operation.ts";
import type { DirectSink } from "./live/registry.ts";

/** Distinct subscription ids whose frame is kept per result. */
const CACHED_IDS_PER_RESULT = 16;
const FRAME_END = Buffer.from("}");
const SEND_AS_TEXT = { binary: false } as const;

interface ResultFrames {
  readonly payload: Buffer;
  readonly byId: Map<string, Buffer>;
}

/** Per delivered result, while it is referenced: its payload's bytes and its first frames. */
const framesOfResult = new WeakMap<ExecutionResult, ResultFrames>();

function nextFrame(result: ExecutionResult, json: string, id: string): Buffer {
  let frames = framesOfResult.get(result);
  if (frames === undefined) {
    frames = { payload: Buffer.from(json), byId: new Map() };
    framesOfResult.set(result, frames);
  }
  const cached = frames.byId.get(id);
  if (cached !== undefined) return cached;
  const prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  const frame = Buffer.concat([prefix, frames.payload, FRAME_END]);
  if (frames.byId.size < CACHED_IDS_PER_RESULT) frames.byId.set(id, frame);
  return frame;
}

/**
 * The direct sink of graphql-ws subscription `id` on `socket`; `subscriptions` is graphql-ws's
 * record of the socket's subscriptions (an id leaves it as soon as the client completes it).
 */
export function wsDirectSink(
  socket: WebSocket,
  subscriptions: Readonly<Record<string, unknown>>,
  id: string,
): DirectSink {
  return (result) => {
    const json = serializedResult(result);
    if (json === undefined) return false;
    if (socket.readyState !== socket.OPEN || socket.bufferedAmount > 0) return false;
    if (!(id in subscriptions)) return false;
    socket.send(nextFrame(result, json, id), SEND_AS_TEXT);
    return true;
  };
}
