/**
 * One identity's WebSocket to Convex: the official client (its core, `BaseConvexClient`, with
 * query updates dispatched by query_updates.ts), its token's state and what it has synced.
 * Queries subscribed through it live in shared_queries.ts; when it may be read from, in
 * freshness.ts.
 *
 * The token's state (no token: accepted at once):
 *
 *   pending --backend accepts--> accepted
 *      \                            |
 *       \--backend refuses--> refused <--expires in use--/   (refused ends the connection)
 */
import { BaseConvexClient } from "convex/browser";
import type { Value } from "convex/values";
import WebSocket from "ws";
import type { SyncView } from "./freshness.ts";
import { QueryUpdates } from "./query_updates.ts";

export type AuthState = "pending" | "accepted" | "refused";

export interface ConnectionEvents {
  /** The backend refused the token (at once, or later because it expired). */
  refused(): void;
  /** A Transition arrived (after the client applied it). */
  transition(): void;
  /** The token check settled. */
  authSettled(): void;
}

/**
 * The official client's timestamps (its vendored `Long`, halves stored as signed 32-bit numbers)
 * as an exact u64. (Its `toString()` is 2^32 too small whenever bit 31 is set.)
 */
export function timestampOf(long: { readonly low: number; readonly high: number }): bigint {
  return (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
}

export class UpstreamConnection {
  private readonly client: BaseConvexClient;
  /** Its query subscriptions (query_updates.ts). */
  readonly updates: QueryUpdates;
  auth: AuthState;
  /** Resolves true when the backend accepted the token (or there is none), false when refused. */
  readonly authenticated: Promise<boolean>;
  private settle: (accepted: boolean) => void = () => {};
  /** Mutations sent and not yet answered. */
  inflight = 0;
  /** Transitions received: two reads at the same count saw the same state of the client. */
  transitions = 0;
  /** `transitions` when its last query subscription ended (the client keeps those results until the next). */
  transitionsAtLastRemoval = -1;
  private syncedTs: bigint | null = null;
  private syncedConnection = -1;

  constructor(url: string, token: string | null, events: ConnectionEvents) {
    this.client = new BaseConvexClient(url, (tokens) => this.updates.transition(tokens), {
      logger: false,
      unsavedChangesWarning: false,
      // Node 20 has no global WebSocket (ConvexClient's Node entry passes `ws` the same way).
      webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    this.updates = new QueryUpdates(this.client);
    this.auth = token === null ? "accepted" : "pending";
    this.authenticated =
      token === null
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => (this.settle = resolve));
    if (token !== null) {
      this.client.setAuth(
        () => Promise.resolve(token),
        (accepted) => {
          // Refused now, or expired in use: the official client would go on anonymously.
          this.auth = accepted ? "accepted" : "refused";
          this.settle(accepted);
          events.authSettled();
          if (!accepted) events.refused();
        },
      );
    }
    // Registered after the query updates' handler (the constructor's): runs after it.
    this.client.addOnTransitionHandler((transition) => {
      this.transitions++;
      this.syncedTs = timestampOf(transition.timestamp);
      this.syncedConnection = this.connectionCount;
      events.transition();
    });
  }

  get connectionCount(): number {
    return this.client.connectionState().connectionCount;
  }

  /** Connected, and its token accepted: it may take mutations and answer reads. */
  get ready(): boolean {
    return this.auth === "accepted" && this.client.connectionState().isWebSocketConnected;
  }

  /** What the freshness rule reads (freshness.ts). */
  view(holdsQueries: boolean): SyncView {
    return {
      ready: this.ready,
      holdsQueries,
      transitions: this.transitions,
      transitionsAtLastRemoval: this.transitionsAtLastRemoval,
      syncedTs: this.syncedTs,
      syncedConnection: this.syncedConnection,
      connection: this.connectionCount,
    };
  }

  /**
   * Runs a mutation; `committed` gets the client's observed timestamp once it resolved (or
   * failed), which covers it: its results are reflected by then.
   */
  mutation(
    path: string,
    args: Record<string, Value>,
    committed: (ts: bigint) => void,
  ): Promise<unknown> {
    this.inflight++;
    const pending = this.client.mutation(path, args);
    return pending.finally(() => {
      this.inflight--;
      const observed = this.client.getMaxObservedTimestamp();
      if (observed !== undefined) committed(timestampOf(observed));
    });
  }

  /** Closes the socket; a pending token check answers "refused". */
  close(): Promise<void> {
    this.settle(false);
    this.updates.close();
    return this.client.close();
  }
}
