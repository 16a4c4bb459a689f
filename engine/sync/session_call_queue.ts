/**
 * A session's mutations and actions: mutations run one at a time in arrival order (each through
 * the exactly-once records of session_requests.ts), actions concurrently and never retried. Each
 * answer (session_calls.ts words it) is sent, or closes the socket on a system error; an answered
 * commit makes the update loop owe the client a Transition reaching it (read-your-writes).
 * Mutations still waiting when the socket closes never run, as in Convex (whose sync worker drops
 * its queue with the socket): the client re-sends unanswered ones on its next socket, and a
 * client that floods a socket and drops it leaves no work behind.
 */
import type { Executor } from "../runtime/executor.ts";
import {
  actionAnswer,
  callFailureAnswer,
  mutationAnswer,
  type CallAnswer,
} from "./session_calls.ts";
import type { SessionChannel, SessionClient } from "./session_channel.ts";
import type { SessionRequests } from "./session_requests.ts";
import type { SessionUpdates } from "./session_updates.ts";

/**
 * Most mutations that may wait behind the running one on a socket (Convex's
 * `OPERATION_QUEUE_BUFFER_SIZE`); one more closes the socket with 1013
 * `TooManyConcurrentMutations`, as Convex does, so the client backs off and resends.
 */
export const MAX_PENDING_MUTATIONS = 1_000;

/**
 * Most actions one socket may have running at once (Convex's per-client limit); one more closes
 * the socket with 1013 `TooManyInflightActionsForSingleClient`, and the client backs off.
 */
export const MAX_INFLIGHT_ACTIONS = 1_000;

export interface CallQueueDeps {
  readonly executor: Executor;
  readonly sessionRequests: SessionRequests;
}

export class SessionCallQueue {
  private mutationChain: Promise<void> = Promise.resolve();
  /** Mutations received and not yet answered (the running one included). */
  private unanswered = 0;
  /** Actions running for this socket. */
  private actionsInFlight = 0;

  constructor(
    private readonly channel: SessionChannel,
    private readonly client: SessionClient,
    private readonly updates: SessionUpdates,
    private readonly deps: CallQueueDeps,
  ) {}

  enqueueMutation(requestId: number, path: string, args: unknown): void {
    if (this.unanswered > MAX_PENDING_MUTATIONS) {
      this.channel.closeWith(1013, "TooManyConcurrentMutations");
      return;
    }
    this.unanswered += 1;
    // One socket's mutations run one at a time, in arrival order.
    this.mutationChain = this.mutationChain
      .then(() => this.runMutation(requestId, path, args))
      .finally(() => (this.unanswered -= 1));
  }

  private async runMutation(requestId: number, path: string, args: unknown): Promise<void> {
    if (this.channel.state === "closed") return; // nobody to answer: the client re-sends it
    let answer: CallAnswer;
    try {
      const outcome = await this.deps.sessionRequests.execute(
        this.client.sessionId,
        requestId,
        (hooks) =>
          this.deps.executor.run({
            path,
            kind: "mutation",
            args,
            identity: this.client.identity,
            allowInternal: this.client.admin,
            hooks,
          }),
      );
      answer = mutationAnswer(requestId, outcome);
    } catch (error) {
      answer = callFailureAnswer("MutationResponse", requestId, error);
    }
    this.deliver(answer);
  }

  async runAction(requestId: number, path: string, args: unknown): Promise<void> {
    if (this.actionsInFlight >= MAX_INFLIGHT_ACTIONS) {
      this.channel.closeWith(1013, "TooManyInflightActionsForSingleClient");
      return;
    }
    this.actionsInFlight += 1;
    try {
      this.deliver(await this.answerAction(requestId, path, args));
    } finally {
      this.actionsInFlight -= 1;
    }
  }

  private async answerAction(requestId: number, path: string, args: unknown): Promise<CallAnswer> {
    let answer: CallAnswer;
    try {
      const outcome = await this.deps.executor.run({
        path,
        kind: "action",
        args,
        identity: this.client.identity,
        allowInternal: this.client.admin,
      });
      answer = actionAnswer(requestId, outcome);
    } catch (error) {
      answer = callFailureAnswer("ActionResponse", requestId, error);
    }
    return answer;
  }

  /** Sends a call's answer (or closes); a commit must be followed by a Transition reaching it. */
  private deliver(answer: CallAnswer): void {
    if (answer.kind === "close") {
      this.channel.closeWith(answer.code, answer.reason);
      return;
    }
    this.channel.send(answer.message);
    const ts = answer.committedTs;
    if (ts === undefined) return;
    // Read-your-writes: a Transition at or after the commit must follow the response.
    this.updates.mustReach(ts);
  }
}
