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
 */
import { AuthenticationError } from "../auth/auth.ts";
import { AdminKeyError } from "../auth/admin_key.ts";
import { ANONYMOUS, type Caller, type Credentials } from "../auth/credentials.ts";
import { AUTH_TEXTS } from "../convex_messages.ts";
import type { Executor } from "../runtime/executor.ts";
import type { UserIdentity } from "../runtime/execution.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import type { LiveQueries, LiveResult } from "../subscriptions/live_queries.ts";
import { decodeTs, encodeTs } from "../http/timestamps.ts";
import { errorMessageOf } from "../errors.ts";
import {
  parseClientMessage,
  ProtocolViolation,
  type ClientMessage,
  type ServerMessage,
  type StateVersion,
} from "./protocol.ts";
import { QuerySet, type SubscribedQuery } from "./query_set.ts";
import type { SessionRequests } from "./session_requests.ts";
import {
  actionAnswer,
  callFailureAnswer,
  mutationAnswer,
  type CallAnswer,
} from "./session_calls.ts";
import {
  queryModification,
  removedModification,
  resultFields,
  transitionFrames,
  transitionText,
} from "./transition.ts";

/** The transport as a session sees it. */
export interface SyncSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface SessionDeps {
  readonly executor: Executor;
  readonly committer: Committer;
  readonly liveQueries: LiveQueries;
  readonly sessionRequests: SessionRequests;
  /** Resolves `Authenticate` credentials (user tokens, the admin key). */
  readonly credentials: Credentials;
}

/** Send a Ping after this much silence. @default 15_000 // ms */
export const PING_INTERVAL_MS = 15_000;

export { MAX_QUERIES_PER_SESSION } from "./query_set.ts";

export interface SessionOptions {
  /**
   * Split Transitions longer than this many characters into `TransitionChunk` frames (for
   * clients that reassemble them), or null to always send whole Transitions. @default null
   */
  readonly chunkChars?: number | null;
}

type SessionState = "awaitingConnect" | "open" | "closed";

export class SyncSession {
  private state: SessionState = "awaitingConnect";
  private sessionId = "";
  private version: StateVersion = { querySet: 0, identity: 0, ts: encodeTs(0n) };
  private versionTs: Timestamp = 0n;
  private receivedQuerySet = 0;
  private receivedIdentity = 0;
  private identity: UserIdentity | null = null;
  /** The session authenticated with the admin key: internal functions resolve. */
  private admin = false;
  private readonly querySet: QuerySet;
  private transitions = 0;
  /** A mutation committed at this ts was answered; a Transition reaching it must follow. */
  private mustReachTs: Timestamp | null = null;
  private updating = false;
  private dirty = false;
  private mutationChain: Promise<void> = Promise.resolve();
  /** Messages are handled one at a time, in order (auth verification is async). */
  private messageChain: Promise<void> = Promise.resolve();
  private pingTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly chunkChars: number | null;

  constructor(
    private readonly socket: SyncSocket,
    private readonly deps: SessionDeps,
    options: SessionOptions = {},
  ) {
    this.querySet = new QuerySet(deps.liveQueries, () => this.scheduleUpdate());
    this.chunkChars = options.chunkChars ?? null;
    this.resetPing();
  }

  get isOpen(): boolean {
    return this.state !== "closed";
  }

  /** Number of subscribed queries (for tests). */
  get queryCount(): number {
    return this.querySet.size;
  }

  private send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message));
  }

  private sendText(text: string): void {
    if (this.state === "closed") return;
    this.socket.send(text);
    this.resetPing();
  }

  private resetPing(): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    if (this.state === "closed") return;
    this.pingTimer = setTimeout(() => this.send({ type: "Ping" }), PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** Handles one text frame. Never throws: violations close this socket only. */
  receive(text: string): void {
    if (this.state === "closed") return;
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.messageChain = this.messageChain
      .then(() => this.handle(message))
      .catch((error: unknown) => this.fail(error));
  }

  /** Sends a FatalError (for protocol violations) and closes. */
  private fail(error: unknown): void {
    if (this.state === "closed") return;
    if (error instanceof ProtocolViolation) {
      this.send({ type: "FatalError", error: `${error.code}: ${error.message}` });
      this.closeWith(1000, error.code);
    } else {
      this.send({ type: "FatalError", error: `InternalServerError: ${errorMessageOf(error)}` });
      this.closeWith(1011, "InternalServerError");
    }
  }

  private closeWith(code: number, reason: string): void {
    this.socket.close(code, reason.slice(0, 123));
    this.dispose();
  }

  /** Releases everything (the socket is gone). */
  dispose(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.querySet.clear();
  }

  private async handle(message: ClientMessage): Promise<void> {
    if (this.state === "closed") return;
    if (this.state === "awaitingConnect" && message.type !== "Connect") {
      throw new ProtocolViolation(
        "BadRequest",
        `The first message on a socket must be Connect, got ${message.type}.`,
      );
    }
    switch (message.type) {
      case "Connect": {
        if (this.state !== "awaitingConnect")
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
            this.send({
              type: "FatalError",
              error: "InternalServerError: client has observed a timestamp ahead of this backend.",
            });
            this.closeWith(1011, "InternalServerError");
            return;
          }
        }
        this.sessionId = message.sessionId;
        this.state = "open";
        return;
      }
      case "ModifyQuerySet":
        this.modifyQuerySet(message);
        return;
      case "Authenticate":
        await this.authenticate(message);
        return;
      case "Mutation":
        this.enqueueMutation(message.requestId, message.udfPath, message.args[0]);
        return;
      case "Action":
        // Actions run concurrently (not queued behind mutations) and are never retried.
        void this.runAction(message.requestId, message.udfPath, message.args[0]);
        return;
      case "Event":
        return;
      default:
        message satisfies never;
    }
  }

  private modifyQuerySet(message: Extract<ClientMessage, { type: "ModifyQuerySet" }>): void {
    if (message.baseVersion !== this.receivedQuerySet) {
      throw new ProtocolViolation(
        "BaseVersionMismatch",
        `ModifyQuerySet baseVersion ${message.baseVersion} does not match the current query set version ${this.receivedQuerySet}.`,
      );
    }
    if (message.newVersion <= message.baseVersion) {
      throw new ProtocolViolation(
        "BadRequest",
        `ModifyQuerySet newVersion ${message.newVersion} must be greater than baseVersion ${message.baseVersion}.`,
      );
    }
    for (const modification of message.modifications) this.querySet.apply(modification);
    this.receivedQuerySet = message.newVersion;
    this.scheduleUpdate();
  }

  private async authenticate(
    message: Extract<ClientMessage, { type: "Authenticate" }>,
  ): Promise<void> {
    if (message.baseVersion !== this.receivedIdentity) {
      throw new ProtocolViolation(
        "BaseVersionMismatch",
        `Authenticate baseVersion ${message.baseVersion} does not match the current identity version ${this.receivedIdentity}.`,
      );
    }
    let caller: Caller;
    try {
      caller = await this.callerOf(message);
    } catch (error) {
      this.refuseCredentials(error);
      return;
    }
    this.expireAt(caller.expiresAtMs, message.baseVersion + 1);
    const identity = caller.identity;
    this.admin = caller.admin;
    this.identity = identity;
    this.receivedIdentity = message.baseVersion + 1;
    this.querySet.resetAll();
    this.scheduleUpdate();
  }

  /** The caller an `Authenticate` message names. @throws AuthenticationError, AdminKeyError. */
  private async callerOf(
    message: Extract<ClientMessage, { type: "Authenticate" }>,
  ): Promise<Caller> {
    switch (message.tokenType) {
      case "User":
        return this.deps.credentials.user(message.value ?? "");
      case "Admin":
        return this.deps.credentials.admin(message.value ?? "", message.impersonating);
      case "None":
        return ANONYMOUS;
      default:
        return message.tokenType satisfies never;
    }
  }

  /**
   * Refused credentials, as Convex answers them: a refused user token gets `AuthError` (the
   * client refetches its token), a bad admin key `FatalError` (not retried); then the socket
   * closes.
   */
  private refuseCredentials(error: unknown): void {
    if (error instanceof AdminKeyError) {
      this.send({ type: "FatalError", error: error.message });
      this.closeWith(1000, error.code);
      return;
    }
    const text =
      error instanceof AuthenticationError
        ? error.message
        : `Could not verify token: ${errorMessageOf(error)}`;
    this.send({
      type: "AuthError",
      error: text,
      baseVersion: this.receivedIdentity,
      authUpdateAttempted: true,
    });
    this.closeWith(1000, "AuthError");
  }

  /**
   * A token that expires while in use: Convex sends `AuthError {authUpdateAttempted: false}`;
   * the socket then closes, and the client fetches a fresh token and reconnects.
   */
  private expireAt(expiresAtMs: number | null, identityVersion: number): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (expiresAtMs === null) return;
    this.expiryTimer = setTimeout(
      () => {
        if (this.state !== "open" || this.receivedIdentity !== identityVersion) return;
        this.send({
          type: "AuthError",
          error: AUTH_TEXTS.tokenExpiredInUse,
          baseVersion: this.receivedIdentity,
          authUpdateAttempted: false,
        });
        this.closeWith(1000, "AuthError");
      },
      Math.max(0, expiresAtMs - Date.now()),
    );
    this.expiryTimer.unref();
  }

  private enqueueMutation(requestId: number, path: string, args: unknown): void {
    // One socket's mutations run one at a time, in arrival order.
    this.mutationChain = this.mutationChain.then(() => this.runMutation(requestId, path, args));
  }

  private async runMutation(requestId: number, path: string, args: unknown): Promise<void> {
    let answer: CallAnswer;
    try {
      const outcome = await this.deps.sessionRequests.execute(this.sessionId, requestId, (hooks) =>
        this.deps.executor.run({
          path,
          kind: "mutation",
          args,
          identity: this.identity,
          allowInternal: this.admin,
          hooks,
        }),
      );
      answer = mutationAnswer(requestId, outcome);
    } catch (error) {
      answer = callFailureAnswer("MutationResponse", requestId, error);
    }
    this.deliver(answer);
  }

  private async runAction(requestId: number, path: string, args: unknown): Promise<void> {
    let answer: CallAnswer;
    try {
      const outcome = await this.deps.executor.run({
        path,
        kind: "action",
        args,
        identity: this.identity,
        allowInternal: this.admin,
      });
      answer = actionAnswer(requestId, outcome);
    } catch (error) {
      answer = callFailureAnswer("ActionResponse", requestId, error);
    }
    this.deliver(answer);
  }

  /** Sends a call's answer (or closes); a commit must be followed by a Transition reaching it. */
  private deliver(answer: CallAnswer): void {
    if (answer.kind === "close") {
      this.closeWith(answer.code, answer.reason);
      return;
    }
    this.send(answer.message);
    const ts = answer.committedTs;
    if (ts === undefined) return;
    // Read-your-writes: a Transition at or after the commit must follow the response.
    this.mustReachTs = this.mustReachTs === null || ts > this.mustReachTs ? ts : this.mustReachTs;
    this.scheduleUpdate();
  }

  private scheduleUpdate(): void {
    if (this.state !== "open") return;
    if (this.updating) {
      this.dirty = true;
      return;
    }
    this.updating = true;
    setImmediate(() => {
      this.update()
        .catch((error: unknown) => this.fail(error))
        .finally(() => {
          this.updating = false;
          if (this.dirty) {
            this.dirty = false;
            this.scheduleUpdate();
          }
        });
    });
  }

  /**
   * Brings the client up to date at the latest timestamp, in one Transition: only the stale
   * queries (added, invalidated, or all after a new identity) are looked up again.
   */
  private async update(): Promise<void> {
    do {
      this.dirty = false;
      if (this.state !== "open") return;
      const ts = this.deps.committer.publishedTs;
      const end: StateVersion = {
        querySet: this.receivedQuerySet,
        identity: this.receivedIdentity,
        ts: encodeTs(ts),
      };
      const identity = this.identity;
      const removed = this.querySet.takeRemoved();
      const stale = this.querySet.takeStale();
      const results = await Promise.all(
        stale.map((query) =>
          this.deps.liveQueries.resultAt(
            {
              path: query.path,
              args: query.args,
              identity,
              allowInternal: this.admin,
              journal: query.journal,
            },
            ts,
            query.watcher,
          ),
        ),
      );
      if (this.state !== "open" || this.closeOnSystemError(stale, results)) return;
      const modifications = removed.map(removedModification);
      stale.forEach((query, i) => {
        const fields = this.adopt(query, results[i] as LiveResult, identity);
        if (fields !== null) modifications.push(queryModification(query.queryId, fields));
      });
      this.sendTransition(end, ts, modifications);
    } while (this.dirty && this.state === "open");
  }

  /**
   * A system error in a query closes the socket as Convex does (1013): the client retries.
   * Also releases the results when the session closed meanwhile. True when closed.
   */
  private closeOnSystemError(stale: SubscribedQuery[], results: LiveResult[]): boolean {
    const system = results.find(
      (result) => result.outcome.status === "error" && result.outcome.systemError !== undefined,
    )?.outcome;
    const closing = this.state !== "open" || system !== undefined;
    if (!closing) return false;
    stale.forEach((query, i) => {
      const result = results[i] as LiveResult;
      if (result !== query.result) this.deps.liveQueries.unwatch(result, query.watcher);
    });
    if (system?.status === "error" && system.systemError !== undefined)
      this.closeWith(1013, system.systemError.code);
    return true;
  }

  /**
   * Makes `result` the query's current result; returns the modification fields to send, or null
   * when the client already has them (or the query left meanwhile).
   */
  private adopt(
    query: SubscribedQuery,
    result: LiveResult,
    identity: UserIdentity | null,
  ): string | null {
    if (!this.querySet.holds(query) || identity !== this.identity) {
      if (result !== query.result) this.deps.liveQueries.unwatch(result, query.watcher);
      return null;
    }
    if (query.result !== result) {
      this.querySet.release(query);
      query.result = result;
    }
    // Computed at an older snapshot and already overtaken by a commit: look again next round.
    if (result.invalidatedAt !== null) {
      this.querySet.requeue(query);
      this.dirty = true;
    }
    // Reruns keep the page the first run produced (Convex's journal semantics).
    if (result.outcome.journal !== undefined && result.outcome.journal !== null) {
      query.journal = result.outcome.journal;
    }
    const fields = resultFields(result);
    if (query.sent === fields) return null;
    query.sent = fields;
    return fields;
  }

  /** Sends the Transition to `end` when there is anything to tell (or a mutation awaits it). */
  private sendTransition(end: StateVersion, ts: Timestamp, modifications: string[]): void {
    const reached = this.mustReachTs !== null && ts >= this.mustReachTs;
    const mustSend =
      modifications.length > 0 ||
      end.querySet !== this.version.querySet ||
      end.identity !== this.version.identity ||
      reached;
    if (!mustSend) return;
    if (reached) this.mustReachTs = null;
    const useTs = ts > this.versionTs ? ts : this.versionTs;
    end.ts = encodeTs(useTs);
    const text = transitionText(this.version, end, modifications, useTs);
    const id = `${this.sessionId}:${++this.transitions}`;
    for (const frame of transitionFrames(text, this.chunkChars, id)) this.sendText(frame);
    this.version = end;
    this.versionTs = useTs;
  }
}
