/**
 * Scheduled jobs as documents of `_scheduled_functions`, in Convex's public shape, and the state
 * machine of `state.kind`:
 *
 *                      +--(mutation: runs and records its outcome in ONE transaction)--+
 *                      |                                                               v
 *   schedule --> pending --start (action: committed BEFORE it runs)--> inProgress --> success
 *                 |                                                     |  |          failed{error}
 *                 |                                                     |  +--fail--> failed{error}
 *                 +--cancel--> canceled <--cancel (the action runs on; -+
 *                                          its outcome is dropped)
 *
 *   inProgress found when the engine starts (it stopped mid-action) --> failed{"Transient error
 *   while executing action"}: an action is never run twice.
 *
 * success, failed and canceled are terminal (`completedTime` is set); cancelling a job in one of
 * them is a no-op, as in Convex. A terminal job is deleted JOB_RETENTION_MS after it completed. A scheduled mutation is exactly once: its outcome commits with
 * its writes, and a conflict reruns both. A scheduled action is at most once.
 */
import type { Value } from "convex/values";
import type { DocumentValue } from "../storage/types.ts";

/** The system table of scheduled jobs (readable through `ctx.db.system`). */
export const SCHEDULED_FUNCTIONS_TABLE = "_scheduled_functions";

/** How long a finished job stays in `_scheduled_functions` (Convex: 7 days). // ms */
export const JOB_RETENTION_MS = 7 * 24 * 3_600_000;

/** What a job left `inProgress` by a stopped engine is recorded as (Convex's text). */
export const TRANSIENT_ACTION_ERROR = "Transient error while executing action";

export type JobState =
  | { readonly kind: "pending" }
  | { readonly kind: "inProgress" }
  | { readonly kind: "success" }
  | { readonly kind: "failed"; readonly error: string }
  | { readonly kind: "canceled" };

export type JobEvent =
  | { readonly type: "start" }
  | { readonly type: "succeed" }
  | { readonly type: "fail"; readonly error: string }
  | { readonly type: "cancel" };

/** A `_scheduled_functions` document's fields (system fields aside). */
export interface JobFields {
  /** Canonical path with the module's `.js`: `orders.js:sendReminder`. */
  readonly name: string;
  /** `[args]`: the arguments object in a one-element array, as Convex stores it. */
  readonly args: readonly Value[];
  /** When the job was asked to run, in ms since the epoch. */
  readonly scheduledTime: number;
  /** When it reached a terminal state, in ms since the epoch. */
  readonly completedTime?: number;
  readonly state: JobState;
}

/** True for success, failed and canceled. */
export function isTerminal(state: JobState): boolean {
  switch (state.kind) {
    case "pending":
    case "inProgress":
      return false;
    case "success":
    case "failed":
    case "canceled":
      return true;
    default:
      state satisfies never;
      return true;
  }
}

/**
 * The state after `event`, or null when the event does not apply in `state` (the caller leaves
 * the job alone: e.g. the outcome of an action whose job was canceled while it ran).
 */
export function nextState(state: JobState, event: JobEvent): JobState | null {
  switch (event.type) {
    case "start":
      return state.kind === "pending" ? { kind: "inProgress" } : null;
    case "succeed":
      return isTerminal(state) ? null : { kind: "success" };
    case "fail":
      return isTerminal(state) ? null : { kind: "failed", error: event.error };
    case "cancel":
      return isTerminal(state) ? null : { kind: "canceled" };
    default:
      event satisfies never;
      return null;
  }
}

/** Reads a stored document as a job; null when it is not one. */
export function jobOf(document: DocumentValue): JobFields | null {
  const { name, args, scheduledTime, completedTime, state } = document;
  if (typeof name !== "string" || !Array.isArray(args) || typeof scheduledTime !== "number")
    return null;
  if (typeof state !== "object" || state === null || !("kind" in state)) return null;
  return {
    name,
    args,
    scheduledTime,
    ...(typeof completedTime === "number" ? { completedTime } : {}),
    state: state as unknown as JobState,
  };
}

/** The fields of `job` after `event` at `nowMs`, or null when the event does not apply. */
export function applyEvent(job: JobFields, event: JobEvent, nowMs: number): DocumentValue | null {
  const state = nextState(job.state, event);
  if (state === null) return null;
  const fields: DocumentValue = {
    name: job.name,
    args: [...job.args],
    scheduledTime: job.scheduledTime,
    state: { ...state },
  };
  if (isTerminal(state)) fields["completedTime"] = nowMs;
  return fields;
}
