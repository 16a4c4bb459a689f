/**
 * Subscribers for the reactivity benchmarks: one connection to the sync endpoint holding many
 * query subscriptions, in one of two kinds:
 *
 * - `raw`: a `ws` socket speaking the sync protocol (`engine/sync/PROTOCOL.md`) directly: a
 *   Connect, then ONE ModifyQuerySet adding every query. A result is "received" when its
 *   Transition frame arrives (the frame's `message` event), before any client-side processing,
 *   so the numbers describe the backend.
 * - `convex`: the official `ConvexClient` (with `ws` as its WebSocket), one `onUpdate` per query
 *   (the client sends one ModifyQuerySet per subscription). A result is "received" when its
 *   `onUpdate` callback runs: what an application would see, client bookkeeping included.
 *
 * Either way, every result of every query (the first one included) is reported to `onResult`
 * with the `performance.now()` of its receipt.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import WebSocket from "ws";
import { sleep } from "./harness.ts";

export type SubscriberKind = "raw" | "convex";

/** Parses a `--client` (or `flag`) value. */
export function parseSubscriberKind(text: string, flag = "--client"): SubscriberKind {
  if (text === "raw" || text === "convex") return text;
  throw new Error(`${flag}: expected "raw" or "convex", got ${JSON.stringify(text)}`);
}

/** One query subscription: a public query and its arguments. */
export interface QuerySpec {
  readonly udfPath: string;
  readonly args: Record<string, Value>;
}

export type QueryResult =
  | { readonly ok: true; readonly value: Value }
  | { readonly ok: false; readonly errorMessage: string };

/** Called with the index of the query (in the list given to `openSubscriber`) and its result. */
export type OnResult = (query: number, result: QueryResult, atMs: number) => void;

/** An open connection holding subscriptions. */
export interface Subscriber {
  /** A protocol-level failure (FatalError, unexpected close), or null while all is well. */
  readonly failure: string | null;
  /** Closes the connection; resolves once it is closed. */
  close(): Promise<void>;
}

/** Opens one connection of `kind` to the backend at `url` and subscribes to every query. */
export async function openSubscriber(
  kind: SubscriberKind,
  url: string,
  queries: readonly QuerySpec[],
  onResult: OnResult,
): Promise<Subscriber> {
  switch (kind) {
    case "raw":
      return await RawSubscriber.open(url, queries, onResult);
    case "convex":
      return new ConvexSubscriber(url, queries, onResult);
    default:
      return kind satisfies never;
  }
}

/** Resolves once `condition()` holds, polling every millisecond; rejects after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${formatSeconds(timeoutMs)} waiting for ${what()}`);
    }
    await sleep(1);
  }
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** The server frames a raw subscriber looks at (see PROTOCOL.md for the rest). */
type ServerFrame =
  | {
      readonly type: "Transition";
      readonly modifications: readonly (
        | { readonly type: "QueryUpdated"; readonly queryId: number; readonly value: JSONValue }
        | { readonly type: "QueryFailed"; readonly queryId: number; readonly errorMessage: string }
        | { readonly type: "QueryRemoved"; readonly queryId: number }
      )[];
    }
  | { readonly type: "FatalError"; readonly error: string }
  | { readonly type: "AuthError"; readonly error: string }
  | { readonly type: "Ping" | "MutationResponse" | "ActionResponse" };

/** `http://host:port` -> `ws://host:port/api/sync`. */
function syncUrl(url: string): string {
  const target = new URL(url);
  target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
  target.pathname = "/api/sync";
  return target.href;
}

class RawSubscriber implements Subscriber {
  failure: string | null = null;
  private closing = false;

  private constructor(
    private readonly socket: WebSocket,
    private readonly onResult: OnResult,
  ) {
    socket.on("message", (data, isBinary) => {
      const atMs = performance.now();
      if (isBinary) return this.fail("binary frame from the server");
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      this.receive(bytes.toString("utf8"), atMs);
    });
    socket.on("close", (code, reason) => {
      if (!this.closing)
        this.fail(`socket closed by the server: ${code} ${reason.toString("utf8")}`);
    });
  }

  static async open(
    url: string,
    queries: readonly QuerySpec[],
    onResult: OnResult,
  ): Promise<RawSubscriber> {
    const socket = new WebSocket(syncUrl(url), { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    socket.on("error", () => {
      // The close event follows and reports it.
    });
    const subscriber = new RawSubscriber(socket, onResult);
    socket.send(
      JSON.stringify({
        type: "Connect",
        sessionId: randomUUID(),
        connectionCount: 0,
        lastCloseReason: null,
        clientTs: Date.now(),
      }),
    );
    socket.send(
      JSON.stringify({
        type: "ModifyQuerySet",
        baseVersion: 0,
        newVersion: 1,
        modifications: queries.map((query, queryId) => ({
          type: "Add",
          queryId,
          udfPath: query.udfPath,
          args: [convexToJson(query.args)],
        })),
      }),
    );
    return subscriber;
  }

  private receive(text: string, atMs: number): void {
    const frame = JSON.parse(text) as ServerFrame;
    switch (frame.type) {
      case "Transition":
        for (const modification of frame.modifications) {
          if (modification.type === "QueryUpdated") {
            this.onResult(
              modification.queryId,
              { ok: true, value: jsonToConvex(modification.value) },
              atMs,
            );
          } else if (modification.type === "QueryFailed") {
            this.onResult(
              modification.queryId,
              { ok: false, errorMessage: modification.errorMessage },
              atMs,
            );
          }
        }
        return;
      case "FatalError":
      case "AuthError":
        return this.fail(`${frame.type}: ${frame.error}`);
      case "Ping":
      case "MutationResponse":
      case "ActionResponse":
        return;
      default:
        frame satisfies never;
    }
  }

  private fail(message: string): void {
    this.failure ??= message;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.socket.once("close", () => resolve()));
    this.socket.close(1000);
    await Promise.race([closed, sleep(2_000).then(() => this.socket.terminate())]);
  }
}

class ConvexSubscriber implements Subscriber {
  private readonly client: ConvexClient;

  /** The official client reconnects (and resubscribes) after a failure: report that. */
  get failure(): string | null {
    const state = this.client.client.connectionState();
    return state.connectionCount > 1 || state.connectionRetries > 0
      ? `the ConvexClient reconnected (${state.connectionCount} connections, ${state.connectionRetries} retries)`
      : null;
  }

  constructor(url: string, queries: readonly QuerySpec[], onResult: OnResult) {
    this.client = new ConvexClient(url, {
      webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
      unsavedChangesWarning: false,
      logger: false,
    });
    queries.forEach((query, index) => {
      this.client.onUpdate(
        makeFunctionReference<"query">(query.udfPath),
        query.args,
        (value: Value) => onResult(index, { ok: true, value }, performance.now()),
        (error) => onResult(index, { ok: false, errorMessage: error.message }, performance.now()),
      );
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
