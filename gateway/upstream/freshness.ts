/**
 * The freshness rule: when a session's pushed results may answer a read instead of Convex. A pure
 * function of the session's sync state, the write watermark and what upstream reads vouched for
 * (tested as a story in test/gateway/freshness.test.ts).
 *
 * A session may answer when it is ready (connected, token accepted) and either
 * - it holds nothing and the results it held are gone (a Transition came after its last
 *   subscription ended): every result it reads arrives new, at the backend's latest timestamp;
 * - it synced on this connection at or after the watermark. Its own mutations need nothing more:
 *   the official client resolves a mutation only once its query results reflect it;
 * - an upstream read of this very operation, started at or after the watermark on this
 *   connection, found exactly what the session holds, and no Transition came since (`vouched`).
 *   The backend pushes to a connection only when one of its results changes, so after another
 *   identity's write a session may stay behind the watermark with results that are current.
 *
 * A read at the backend's latest timestamp (`Cache-Control: no-cache`) needs more than the
 * watermark: writes made elsewhere count too. A consistent state of the session may answer it
 * (`freshEnough`) when
 * - the operation opened a subscription whose first result came on this connection: the backend
 *   computed that Transition after it saw the subscription, so at its latest timestamp then or
 *   later, and every later state on the connection is later still; or
 * - the state is at or after the backend's latest timestamp read once the operation had started.
 */

/** What the rule reads of a session. */
export interface SyncView {
  /** Connected, and its token (if any) accepted. */
  readonly ready: boolean;
  /** It holds query subscriptions (live, warm or in use). */
  readonly holdsQueries: boolean;
  /** Transitions received so far, and the count when its last subscription ended. */
  readonly transitions: number;
  readonly transitionsAtLastRemoval: number;
  /** Timestamp of the last Transition, and the connection it came on. */
  readonly syncedTs: bigint | null;
  readonly syncedConnection: number;
  /** The current connection (the official client counts its reconnects). */
  readonly connection: number;
}

/** What an upstream read vouched for (see `vouchFor`). */
export interface Vouch {
  readonly watermark: bigint;
  readonly connection: number;
}

/** True when `view`'s results may answer a read (`vouched`: this operation's vouch, if any). */
export function canRead(
  view: SyncView,
  watermark: bigint | null,
  vouched: () => Vouch | undefined,
): boolean {
  if (!view.ready || watermark === null) return false;
  if (!view.holdsQueries && view.transitions > view.transitionsAtLastRemoval) return true;
  if (
    view.syncedTs !== null &&
    view.syncedConnection === view.connection &&
    view.syncedTs >= watermark
  ) {
    return true;
  }
  const vouch = vouched();
  return (
    vouch !== undefined && vouch.watermark >= watermark && vouch.connection === view.connection
  );
}

/** Where an upstream read that may vouch starts from. */
export interface ReadMark {
  readonly transitions: number;
  readonly connection: number;
  /** The watermark when the read started: the read is at or after it. */
  readonly watermark: bigint;
}

/** The mark for a vouching read, or null when there is nothing to vouch for. */
export function readMark(view: SyncView, watermark: bigint | null): ReadMark | null {
  if (!view.ready || !view.holdsQueries || watermark === null) return null;
  return { transitions: view.transitions, connection: view.connection, watermark };
}

/**
 * What a read started at `mark` vouches for, now that it found `sameAsHeld` (true when every
 * result it read equals what the session holds): null unless it is certain that no Transition
 * and no reconnect came in between.
 */
export function vouchFor(mark: ReadMark, view: SyncView, sameAsHeld: boolean): Vouch | null {
  if (!sameAsHeld || view.transitions !== mark.transitions) return null;
  if (view.connection !== mark.connection) return null;
  return { watermark: mark.watermark, connection: mark.connection };
}

/** What a read at the backend's latest timestamp has learnt so far (kept across its attempts). */
export interface FreshProof {
  /** The connection on which a subscription the operation opened got its first result. */
  openedOn: number | null;
}

/**
 * True when the state `view` shows may answer a read at the backend's latest timestamp:
 * `latestTs` is that timestamp, read after the operation started (null: not read).
 */
export function freshEnough(view: SyncView, proof: FreshProof, latestTs: bigint | null): boolean {
  if (!view.ready || view.syncedTs === null || view.syncedConnection !== view.connection) {
    return false;
  }
  if (proof.openedOn === view.connection) return true;
  return latestTs !== null && view.syncedTs >= latestTs;
}
