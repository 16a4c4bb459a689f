/**
 * The socket as a session's parts share it: the session's lifecycle state (the diagram is in
 * session.ts, which drives Connect), sending with liveness Pings after silence, the two ways a
 * session ends (a FatalError then a close, or the socket going away) and what the client has
 * declared so far (its session id, the versions it sent, its identity). One object, so that the
 * update loop, authentication and the call queue all see the same "closed".
 */
import { errorMessageOf } from "../errors.ts";
import type { UserIdentity } from "../runtime/execution.ts";
import { ProtocolViolation, type ServerMessage } from "./protocol.ts";

/** The transport as a session sees it. */
export interface SyncSocket {
  /** Queues `text`; `onWritten` runs once it has left for the network (or the socket is gone). */
  send(text: string, onWritten?: () => void): void;
  close(code: number, reason: string): void;
}

/**
 * Most Transitions that may wait in a socket's send buffer (Convex's
 * `SYNC_MAX_SEND_TRANSITION_COUNT`). While a client reads slower than its results change, no
 * new Transition is computed: what changed meanwhile goes out in the next one, at the latest
 * timestamp. Responses and Pings are never held back.
 */
export const MAX_UNWRITTEN_TRANSITIONS = 2;

/** Send a Ping after this much silence. @default 15_000 // ms */
export const PING_INTERVAL_MS = 15_000;

export type SessionState = "awaitingConnect" | "open" | "closed";

/** What the client has declared on this socket (written by the session and its auth). */
export interface SessionClient {
  sessionId: string;
  /** The query set version of the last ModifyQuerySet. */
  receivedQuerySet: number;
  /** The identity version of the last accepted Authenticate. */
  receivedIdentity: number;
  identity: UserIdentity | null;
  /** The session authenticated with the admin key: internal functions resolve. */
  admin: boolean;
}

export class SessionChannel {
  state: SessionState = "awaitingConnect";
  private pingTimer: NodeJS.Timeout | null = null;
  /** Transitions handed to the socket and not yet written to the network. */
  private unwrittenTransitions = 0;
  /** Called each time one of them has been written (set by the update loop). */
  onTransitionWritten: () => void = () => {};

  constructor(
    private readonly socket: SyncSocket,
    /** Releases the session's resources, once, when it closes. */
    private readonly onClosed: () => void,
  ) {
    this.resetPing();
  }

  send(message: ServerMessage): void {
    this.sendText(JSON.stringify(message));
  }

  sendText(text: string, onWritten?: () => void): void {
    if (this.state === "closed") return;
    this.socket.send(text, onWritten);
    this.resetPing();
  }

  /** Sends the frames of one Transition (one, or its chunks), counted until the last is written. */
  sendTransition(frames: readonly string[]): void {
    if (this.state === "closed") return;
    this.unwrittenTransitions += 1;
    frames.forEach((frame, i) => {
      this.sendText(frame, i === frames.length - 1 ? () => this.transitionWritten() : undefined);
    });
  }

  /** True while the client has {@link MAX_UNWRITTEN_TRANSITIONS} Transitions still to take. */
  get transitionsBacklogged(): boolean {
    return this.unwrittenTransitions >= MAX_UNWRITTEN_TRANSITIONS;
  }

  private transitionWritten(): void {
    this.unwrittenTransitions -= 1;
    if (this.state !== "closed") this.onTransitionWritten();
  }

  private resetPing(): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    if (this.state === "closed") return;
    this.pingTimer = setTimeout(() => this.send({ type: "Ping" }), PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** Sends a FatalError (for protocol violations) and closes. */
  fail(error: unknown): void {
    if (this.state === "closed") return;
    if (error instanceof ProtocolViolation) {
      this.send({ type: "FatalError", error: `${error.code}: ${error.message}` });
      this.closeWith(1000, error.code);
    } else {
      this.send({ type: "FatalError", error: `InternalServerError: ${errorMessageOf(error)}` });
      this.closeWith(1011, "InternalServerError");
    }
  }

  closeWith(code: number, reason: string): void {
    this.socket.close(code, reason.slice(0, 123));
    this.dispose();
  }

  /** Releases everything (the socket is gone). */
  dispose(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.onClosed();
  }
}
