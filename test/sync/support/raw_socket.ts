/**
 * A scripted sync-protocol socket for protocol tests: the `ws` package with nothing in between,
 * so a test sends exactly the frames it means to (valid or not) and reads the server's answers
 * one frame at a time. Every wait is bounded (test/utils/waits.ts); the bound uses the real `setTimeout` of
 * `node:timers`, so waits keep working while a test fakes the global timers.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import type { ServerMessage, StateVersion } from "../../../engine/sync/protocol.ts";
import { STEP_MS, within } from "../../utils/waits.ts";

/** The state version both sides start every socket at (protocol §1.5). */
export const INITIAL_VERSION: StateVersion = { querySet: 0, identity: 0, ts: "AAAAAAAAAAA=" };

/** How the server closed the socket. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

type ServerMessageOf<T extends ServerMessage["type"]> = Extract<ServerMessage, { type: T }>;

/** Decodes a wire timestamp: base64 of the u64, little-endian. */
export function decodeTs(encoded: string): bigint {
  const bytes = Buffer.from(encoded, "base64");
  if (bytes.length !== 8) throw new Error(`Not a wire timestamp: ${JSON.stringify(encoded)}`);
  return bytes.readBigUInt64LE(0);
}

/** The path the official client (1.48.0) derives from the deployment URL. */
export const SYNC_PATH = "/api/1.48.0/sync";

/** A WebSocket URL for `path` on the backend at `deploymentUrl`. */
export function syncUrl(deploymentUrl: string, path = SYNC_PATH): string {
  return `${deploymentUrl.replace(/^http/, "ws")}${path}`;
}

export class RawSyncSocket implements AsyncDisposable {
  /** Frames received and not yet read with `next`. */
  private readonly inbox: ServerMessage[] = [];
  private wake: (() => void) | null = null;
  private closeInfo: CloseInfo | null = null;
  /** Resolves when the server (or the network) closed the socket. */
  readonly closed: Promise<CloseInfo>;
  /** Socket-level errors seen (e.g. EPIPE while a huge frame was still being written). */
  readonly errors: Error[] = [];

  private constructor(
    private readonly ws: WebSocket,
    /** The session id this socket's Connect uses. */
    readonly sessionId: string,
  ) {
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        this.errors.push(new Error("The server sent a binary frame."));
        return;
      }
      this.inbox.push(JSON.parse(Buffer.from(data as Buffer).toString("utf8")) as ServerMessage);
      this.notify();
    });
    ws.on("error", (error) => this.errors.push(error));
    this.closed = new Promise<CloseInfo>((resolve) => {
      ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString("utf8") };
        this.notify();
        resolve(this.closeInfo);
      });
    });
  }

  /** Opens a socket to `deploymentUrl`'s sync endpoint (no Connect is sent). */
  static async open(
    deploymentUrl: string,
    options: { sessionId?: string; path?: string } = {},
  ): Promise<RawSyncSocket> {
    const ws = new WebSocket(syncUrl(deploymentUrl, options.path));
    const socket = new RawSyncSocket(ws, options.sessionId ?? randomUUID());
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      }),
      STEP_MS,
      "the sync socket to open",
    );
    return socket;
  }

  /** Opens a socket and sends Connect for `sessionId`. */
  static async connect(
    deploymentUrl: string,
    options: { sessionId?: string; connectionCount?: number; maxObservedTimestamp?: string } = {},
  ): Promise<RawSyncSocket> {
    const socket = await RawSyncSocket.open(
      deploymentUrl,
      options.sessionId !== undefined ? { sessionId: options.sessionId } : {},
    );
    socket.send({
      type: "Connect",
      sessionId: socket.sessionId,
      connectionCount: options.connectionCount ?? 0,
      lastCloseReason: options.connectionCount ? "InternalServerError" : "InitialConnect",
      clientTs: Date.now(),
      ...(options.maxObservedTimestamp !== undefined
        ? { maxObservedTimestamp: options.maxObservedTimestamp }
        : {}),
    });
    return socket;
  }

  /** True until the socket closed. */
  get isOpen(): boolean {
    return this.closeInfo === null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Number of frames received and not read yet. */
  get unread(): number {
    return this.inbox.length;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Sends one message as a JSON text frame. */
  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Sends a text frame as is. */
  sendText(text: string): void {
    this.ws.send(text);
  }

  /** Sends a binary frame. */
  sendBinary(data: Buffer): void {
    this.ws.send(data, { binary: true });
  }

  /** The next frame from the server. Fails if none arrives within `ms` or the socket closes. */
  async next(what = "the next server message", ms = STEP_MS): Promise<ServerMessage> {
    const waitForFrame = async (): Promise<ServerMessage> => {
      for (;;) {
        const message = this.inbox.shift();
        if (message !== undefined) return message;
        if (this.closeInfo !== null) {
          throw new Error(
            `The socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${what}`,
          );
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    };
    return within(waitForFrame(), ms, what);
  }

  /** The next frame, which must be of `type` (the test fails otherwise, showing the frame). */
  async expect<T extends ServerMessage["type"]>(
    type: T,
    ms = STEP_MS,
  ): Promise<ServerMessageOf<T>> {
    const message = await this.next(`a ${type}`, ms);
    if (message.type !== type) {
      throw new Error(`Expected a ${type}, got ${JSON.stringify(message).slice(0, 500)}`);
    }
    return message as ServerMessageOf<T>;
  }

  /** Waits for the server to close the socket. */
  async expectClose(ms = STEP_MS): Promise<CloseInfo> {
    return within(this.closed, ms, "the server to close the socket");
  }

  /** Closes from the client side and waits until closed. */
  async close(): Promise<void> {
    if (this.closeInfo !== null) return;
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(1000, "done");
    }
    await within(this.closed, STEP_MS, "the socket to close").catch(() => this.ws.terminate());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
