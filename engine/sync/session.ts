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
import type { Executor, FunctionOutcome } from "../runtime/executor.ts";
import type { UserIdentity } from "../runtime/execution.ts";
import type { Timestamp } from "../storage/types.ts";
import type { Committer } from "../transactions/committer.ts";
import type { LiveQueries, LiveResult, Watcher } from "../subscriptions/live_queries.ts";
import { decodeTs, encodeTs } from "../http/timestamps.ts";
import { errorMessageOf, RequestError } from "../errors.ts";
import {
  parseClientMessage,
  ProtocolViolation,
  type ClientMessage,
  type ServerMessage,
  type StateModification,
  type StateVersion,
} from "./protocol.ts";
import type { SessionRequests } from "./session_requests.ts";

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

/** Most queries one session may subscribe to. */
export const MAX_QUERIES_PER_SESSION = 10_000;

interface SubscribedQuery {
  readonly queryId: number;
  readonly path: string;
  readonly args: unknown;
  /** The journal of the last result (or the one the client sent back with Add). */
  journal: string | null;
  result: LiveResult | null;
  /** Fingerprint of what the client last received for this query. */
  sent: string | null;
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
  private readonly queries = new Map<number, SubscribedQuery>();
  private removed: number[] = [];
  /** A mutation committed at this ts was answered; a Transition reaching it must follow. */
  private mustReachTs: Timestamp | null = null;
  private updating = false;
  private dirty = false;
  private mutationChain: Promise<void> = Promise.resolve();
  /** Messages are handled one at a time, in order (auth verification is async). */
  private messageChain: Promise<void> = Promise.resolve();
  private pingTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly watcher: Watcher = () => this.scheduleUpdate();

  constructor(
    private readonly socket: SyncSocket,
    private readonly deps: SessionDeps,
  ) {
    this.resetPing();
  }

  get isOpen(): boolean {
    return this.state !== "closed";
  }

  /** Number of subscribed queries (for tests). */
  get queryCount(): number {
    return this.queries.size;
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
    for (const query of this.queries.values()) {
      if (query.result !== null) this.deps.liveQueries.unwatch(query.result, this.watcher);
    }
    this.queries.clear();
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
    for (const modification of message.modifications) {
      if (modification.type === "Add") {
        if (this.queries.has(modification.queryId)) {
          throw new ProtocolViolation(
            "BadRequest",
            `Query ${modification.queryId} was added twice.`,
          );
        }
        if (this.queries.size >= MAX_QUERIES_PER_SESSION) {
          throw new ProtocolViolation(
            "BadRequest",
            `Too many queries on one socket (limit ${MAX_QUERIES_PER_SESSION}).`,
          );
        }
        this.queries.set(modification.queryId, {
          queryId: modification.queryId,
          path: modification.udfPath,
          args: modification.args[0],
          journal: modification.journal ?? null,
          result: null,
          sent: null,
        });
      } else {
        const query = this.queries.get(modification.queryId);
        if (query === undefined) {
          throw new ProtocolViolation(
            "BadRequest",
            `Query ${modification.queryId} was removed but never added.`,
          );
        }
        if (query.result !== null) this.deps.liveQueries.unwatch(query.result, this.watcher);
        this.queries.delete(modification.queryId);
        this.removed.push(modification.queryId);
      }
    }
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
    // A new identity: every query is looked up again under it (shared results stay shared).
    for (const query of this.queries.values()) {
      if (query.result !== null) this.deps.liveQueries.unwatch(query.result, this.watcher);
      query.result = null;
    }
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
    const deps = this.deps;
    const recorded = deps.sessionRequests.lookup(this.sessionId, requestId);
    let outcome:
      FunctionOutcome | { status: "replayed"; value: unknown; ts: Timestamp; logLines: string[] };
    if (recorded !== undefined) {
      outcome = {
        status: "replayed",
        value: recorded.value,
        ts: recorded.ts,
        logLines: [...recorded.logLines],
      };
    } else {
      try {
        outcome = await deps.sessionRequests.runOnce(this.sessionId, requestId, () =>
          deps.executor.run({
            path,
            kind: "mutation",
            args,
            identity: this.identity,
            allowInternal: this.admin,
            sessionRequest: { sessionId: this.sessionId, requestId },
          }),
        );
      } catch (error) {
        const message =
          error instanceof RequestError
            ? error.message
            : `[Request ID: ${requestId}] Server Error\n${errorMessageOf(error)}`;
        this.send({
          type: "MutationResponse",
          requestId,
          success: false,
          result: message,
          ts: null,
          logLines: [],
        });
        return;
      }
    }
    if (outcome.status === "error" && outcome.systemError !== undefined) {
      this.closeWith(1013, outcome.systemError.code);
      return;
    }
    if (outcome.status === "error") {
      this.send({
        type: "MutationResponse",
        requestId,
        success: false,
        result: outcome.errorMessage,
        ts: null,
        logLines: outcome.logLines,
        ...(outcome.errorData !== undefined ? { errorData: outcome.errorData } : {}),
      });
      return;
    }
    const ts = outcome.ts;
    this.send({
      type: "MutationResponse",
      requestId,
      success: true,
      result: outcome.value,
      ts: encodeTs(ts),
      logLines: outcome.logLines,
    });
    // Read-your-writes: a Transition at or after the commit must follow the response.
    this.mustReachTs = this.mustReachTs === null || ts > this.mustReachTs ? ts : this.mustReachTs;
    this.scheduleUpdate();
  }

  private async runAction(requestId: number, path: string, args: unknown): Promise<void> {
    let outcome: FunctionOutcome;
    try {
      outcome = await this.deps.executor.run({
        path,
        kind: "action",
        args,
        identity: this.identity,
        allowInternal: this.admin,
      });
    } catch (error) {
      this.send({
        type: "ActionResponse",
        requestId,
        success: false,
        result: `[Request ID: ${requestId}] Server Error\n${errorMessageOf(error)}`,
        logLines: [],
      });
      return;
    }
    if (outcome.status === "error" && outcome.systemError !== undefined) {
      this.closeWith(1013, outcome.systemError.code);
      return;
    }
    if (outcome.status === "error") {
      this.send({
        type: "ActionResponse",
        requestId,
        success: false,
        result: outcome.errorMessage,
        logLines: outcome.logLines,
        ...(outcome.errorData !== undefined ? { errorData: outcome.errorData } : {}),
      });
      return;
    }
    this.send({
      type: "ActionResponse",
      requestId,
      success: true,
      result: outcome.value,
      logLines: outcome.logLines,
    });
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

  /** Brings the client up to date at the latest timestamp, in one Transition. */
  private async update(): Promise<void> {
    do {
      this.dirty = false;
      if (this.state !== "open") return;
      const ts = this.deps.committer.publishedTs;
      const querySetVersion = this.receivedQuerySet;
      const identityVersion = this.receivedIdentity;
      const identity = this.identity;
      const admin = this.admin;
      const removed = this.removed;
      this.removed = [];
      const queries = [...this.queries.values()];
      const results = await Promise.all(
        queries.map((query) =>
          query.result !== null && query.result.validAt(ts)
            ? Promise.resolve(query.result)
            : this.deps.liveQueries.resultAt(
                {
                  path: query.path,
                  args: query.args,
                  identity,
                  allowInternal: admin,
                  journal: query.journal,
                },
                ts,
                this.watcher,
              ),
        ),
      );
      if (this.state !== "open") {
        for (const result of results) this.deps.liveQueries.unwatch(result, this.watcher);
        return;
      }
      // A system error in a query closes the socket as Convex does (1013): the client retries.
      const system = results.find(
        (result) => result.outcome.status === "error" && result.outcome.systemError !== undefined,
      )?.outcome;
      if (system?.status === "error" && system.systemError !== undefined) {
        for (const result of results) this.deps.liveQueries.unwatch(result, this.watcher);
        this.closeWith(1013, system.systemError.code);
        return;
      }
      // Serialised here: each result's JSON is shared by every session sending it.
      const modifications: string[] = removed.map((queryId) =>
        JSON.stringify({ type: "QueryRemoved", queryId } satisfies StateModification),
      );
      queries.forEach((query, i) => {
        const result = results[i] as LiveResult;
        const stillSubscribed = this.queries.get(query.queryId) === query;
        if (!stillSubscribed || identity !== this.identity) {
          this.deps.liveQueries.unwatch(result, this.watcher);
          return;
        }
        if (query.result !== result) {
          if (query.result !== null) this.deps.liveQueries.unwatch(query.result, this.watcher);
          query.result = result;
        }
        // Reruns keep the page the first run produced (Convex's journal semantics).
        if (result.outcome.journal !== undefined && result.outcome.journal !== null) {
          query.journal = result.outcome.journal;
        }
        if (query.sent === result.fingerprint) return;
        query.sent = result.fingerprint;
        modifications.push(`{"queryId":${query.queryId},${result.fingerprint}}`);
      });
      const end: StateVersion = {
        querySet: querySetVersion,
        identity: identityVersion,
        ts: encodeTs(ts),
      };
      const mustSend =
        modifications.length > 0 ||
        end.querySet !== this.version.querySet ||
        end.identity !== this.version.identity ||
        (this.mustReachTs !== null && ts >= this.mustReachTs);
      if (mustSend) {
        if (this.mustReachTs !== null && ts >= this.mustReachTs) this.mustReachTs = null;
        const useTs = ts > this.versionTs ? ts : this.versionTs;
        end.ts = encodeTs(useTs);
        this.sendText(
          `{"type":"Transition","startVersion":${JSON.stringify(this.version)},"endVersion":${JSON.stringify(end)},"modifications":[${modifications.join(",")}],"serverTs":${useTs}}`,
        );
        this.version = end;
        this.versionTs = useTs;
      }
    } while (this.dirty && this.state === "open");
  }
}
