/**
 * One sync-protocol session per WebSocket: the client's query set, identity and timestamp
 * versions, its mutation queue, and the Transitions that keep its results current.
 *
 *   awaitingConnect --Connect--> open --(protocol violation: FatalError)--> closed
 *                                  \--(socket closed / backend stopping)----> closed
 *
 * While open, anything that may change what the client should see (a query set change, a new
 * identity, a commit invalidating one of its results, a mutation completing) schedules an
 * update: every query whose result is not valid at the latest timestamp reruns at that one
 * timestamp, and the changed results go out in one Transition. An unchanged result is not re-sent.
 *
 * This module reads the messages in order and drives the diagram's Connect; its parts:
 * session_channel.ts (the socket, Pings, the ways to closed), session_updates.ts (the update loop
 * and Transitions), session_auth.ts (Authenticate, token expiry), session_call_queue.ts
 * (mutations and actions).
 */
import type { Credentials } from "../auth/credentials.ts";
import type { Executor } from "../runtime/executor.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import type { LiveQueries } from "../subscriptions/live_queries.ts";
import { decodeTs } from "../http/timestamps.ts";
import { errorMessageOf } from "../errors.ts";
import { parseClientMessage, ProtocolViolation, type ClientMessage } from "./protocol.ts";
import { QuerySet } from "./query_set.ts";
import { SessionAuth } from "./session_auth.ts";
import { SessionCallQueue } from "./session_call_queue.ts";
import { SessionChannel, type SessionClient, type SyncSocket } from "./session_channel.ts";
import type { SessionRequests } from "./session_requests.ts";
import { SessionUpdates } from "./session_updates.ts";

export { PING_INTERVAL_MS, type SyncSocket } from "./session_channel.ts";
export { MAX_QUERIES_PER_SESSION } from "./query_set.ts";

export interface SessionDeps {
  readonly executor: Executor;
  readonly committer: Committer;
  readonly liveQueries: LiveQueries;
  readonly sessionRequests: SessionRequests;
  /** Resolves `Authenticate` credentials (user tokens, the admin key). */
  readonly credentials: Credentials;
}

export interface SessionOptions {
  /**
   * Split Transitions longer than this many characters into `TransitionChunk` frames (for
   * clients that reassemble them), or null to always send whole Transitions. @default null
   */
  readonly chunkChars?: number | null;
}

export class SyncSession {
  private readonly client: SessionClient = {
    sessionId: "",
    receivedQuerySet: 0,
    receivedIdentity: 0,
    identity: null,
    admin: false,
  };
  private readonly channel: SessionChannel;
  private readonly querySet: QuerySet;
  private readonly updates: SessionUpdates;
  private readonly auth: SessionAuth;
  private readonly calls: SessionCallQueue;
  /** Messages are handled one at a time, in order (auth verification is async). */
  private messageChain: Promise<void> = Promise.resolve();

  constructor(
    socket: SyncSocket,
    private readonly deps: SessionDeps,
    options: SessionOptions = {},
  ) {
    this.channel = new SessionChannel(socket, () => {
      this.auth.dispose();
      this.querySet.clear();
    });
    this.querySet = new QuerySet(deps.liveQueries, () => this.updates.schedule());
    const chunkChars = options.chunkChars ?? null;
    this.updates = new SessionUpdates(this.channel, this.client, this.querySet, deps, chunkChars);
    this.auth = new SessionAuth(this.channel, this.client, deps.credentials, () => {
      this.querySet.resetAll();
      this.updates.schedule();
    });
    this.calls = new SessionCallQueue(this.channel, this.client, this.updates, deps);
  }

  get isOpen(): boolean {
    return this.channel.state !== "closed";
  }

  /** Number of subscribed queries (for tests). */
  get queryCount(): number {
    return this.querySet.size;
  }

  /** Handles one text frame. Never throws: violations close this socket only. */
  receive(text: string): void {
    if (this.channel.state === "closed") return;
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (error) {
      this.channel.fail(error);
      return;
    }
    this.messageChain = this.messageChain
      .then(() => this.handle(message))
      .catch((error: unknown) => this.channel.fail(error));
  }

  /** Releases everything (the socket is gone). */
  dispose(): void {
    this.channel.dispose();
  }

  private async handle(message: ClientMessage): Promise<void> {
    if (this.channel.state === "closed") return;
    if (this.channel.state === "awaitingConnect" && message.type !== "Connect") {
      throw new ProtocolViolation(
        "BadRequest",
        `The first message on a socket must be Connect, got ${message.type}.`,
      );
    }
    switch (message.type) {
      case "Connect":
        this.connect(message);
        return;
      case "ModifyQuerySet":
        this.modifyQuerySet(message);
        return;
      case "Authenticate":
        await this.auth.authenticate(message);
        return;
      case "Mutation":
        this.calls.enqueueMutation(message.requestId, message.udfPath, message.args[0]);
        return;
      case "Action":
        // Actions run concurrently (not queued behind mutations) and are never retried.
        void this.calls.runAction(message.requestId, message.udfPath, message.args[0]);
        return;
      case "Event":
        return;
      default:
        message satisfies never;
    }
  }

  /** awaitingConnect -> open, unless the client has seen a state newer than this backend's. */
  private connect(message: Extract<ClientMessage, { type: "Connect" }>): void {
    if (this.channel.state !== "awaitingConnect")
      throw new ProtocolViolation("BadRequest", "Connect was sent twice on one socket.");
    if (message.maxObservedTimestamp !== undefined) {
      let observed: Timestamp;
      try {
        observed = decodeTs(message.maxObservedTimestamp);
      } catch (error) {
        throw new ProtocolViolation("BadRequest", errorMessageOf(error));
      }
      if (observed > this.deps.committer.publishedTs) {
        // The client saw a newer state than this backend has (it lost data): refuse, let it retry.
        this.channel.send({
          type: "FatalError",
          error: "InternalServerError: client has observed a timestamp ahead of this backend.",
        });
        this.channel.closeWith(1011, "InternalServerError");
        return;
      }
    }
    this.client.sessionId = message.sessionId;
    this.channel.state = "open";
  }

  private modifyQuerySet(message: Extract<ClientMessage, { type: "ModifyQuerySet" }>): void {
    if (message.baseVersion !== this.client.receivedQuerySet) {
      throw new ProtocolViolation(
        "BaseVersionMismatch",
        `ModifyQuerySet baseVersion ${message.baseVersion} does not match the current query set version ${this.client.receivedQuerySet}.`,
      );
    }
    if (message.newVersion <= message.baseVersion) {
      throw new ProtocolViolation(
        "BadRequest",
        `ModifyQuerySet newVersion ${message.newVersion} must be greater than baseVersion ${message.baseVersion}.`,
      );
    }
    for (const modification of message.modifications) this.querySet.apply(modification);
    this.client.receivedQuerySet = message.newVersion;
    this.updates.schedule();
  }
}
