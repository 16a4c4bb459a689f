/**
 * The wire encoding of Transitions: a query result's modification fields (serialised once per
 * live result, shared by every subscriber), the Transition frame itself, and its split into
 * `TransitionChunk` frames for clients that reassemble them (the official client since 1.28).
 */
import type { FunctionOutcome } from "../runtime/executor.ts";
import type { LiveResult } from "../subscriptions/live_queries.ts";
import type { StateModification, StateVersion } from "./protocol.ts";

/**
 * Transitions longer than this (in UTF-16 code units of their JSON) go out as `TransitionChunk`
 * frames of at most this length each, to clients that understand them.
 * @default 1 MiB of characters
 */
export const TRANSITION_CHUNK_CHARS = 1024 * 1024;

/** The first client version that reassembles `TransitionChunk`s (convex npm 1.28). */
const CHUNKING_CLIENT = [1, 28] as const;

/**
 * The fields of a `QueryUpdated` or `QueryFailed` modification, without the query id. What a
 * result's subscribers are sent, and what deduplication compares.
 */
function encodeOutcome(outcome: FunctionOutcome): string {
  const logLines = JSON.stringify(outcome.logLines);
  const journal = JSON.stringify(outcome.journal ?? null);
  if (outcome.status === "success") {
    const value = JSON.stringify(outcome.value) ?? "null";
    return `"type":"QueryUpdated","value":${value},"logLines":${logLines},"journal":${journal}`;
  }
  const errorData =
    outcome.errorData !== undefined ? `,"errorData":${JSON.stringify(outcome.errorData)}` : "";
  return `"type":"QueryFailed","errorMessage":${JSON.stringify(outcome.errorMessage)},"logLines":${logLines},"journal":${journal}${errorData}`;
}

/** A result's modification fields, serialised once and cached on the result. */
export function resultFields(result: LiveResult): string {
  return result.serialised(encodeOutcome);
}

/** One modification of a Transition: a query's result. */
export function queryModification(queryId: number, fields: string): string {
  return `{"queryId":${queryId},${fields}}`;
}

/** A `QueryRemoved` modification. */
export function removedModification(queryId: number): string {
  return JSON.stringify({ type: "QueryRemoved", queryId } satisfies StateModification);
}

/** The text of a Transition frame from already serialised modifications. */
export function transitionText(
  start: StateVersion,
  end: StateVersion,
  modifications: readonly string[],
  serverTs: bigint,
): string {
  return `{"type":"Transition","startVersion":${JSON.stringify(start)},"endVersion":${JSON.stringify(end)},"modifications":[${modifications.join(",")}],"serverTs":${serverTs}}`;
}

/**
 * The frames to send for one Transition: the Transition itself, or, when it is longer than
 * `chunkChars`, `TransitionChunk` frames the client concatenates in order. A cut never falls
 * between the two halves of a surrogate pair (each frame must be valid UTF-16 to encode).
 */
export function transitionFrames(
  text: string,
  chunkChars: number | null,
  transitionId: string,
): string[] {
  if (chunkChars === null || text.length <= chunkChars) return [text];
  const parts: string[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + chunkChars);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts.map((chunk, partNumber) =>
    JSON.stringify({
      type: "TransitionChunk",
      chunk,
      partNumber,
      totalParts: parts.length,
      transitionId,
    }),
  );
}

/**
 * Whether the client behind a sync URL path (`/api/<version>/sync`) reassembles
 * `TransitionChunk`s: versions from 1.28 on do; an unversioned path (`/api/sync`) or an
 * unparsable version gets whole Transitions.
 */
export function clientReassemblesChunks(pathname: string): boolean {
  const match = /^\/api\/(\d+)\.(\d+)[^/]*\/sync$/.exec(pathname);
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return (
    major > CHUNKING_CLIENT[0] || (major === CHUNKING_CLIENT[0] && minor >= CHUNKING_CLIENT[1])
  );
}
