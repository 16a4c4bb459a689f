/**
 * The scheduler's pure parts, as stories: the job state machine, the due-time queue, next-run
 * computation for cron schedules, and the manual clock.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../engine/scheduler/clock.ts";
import { nextRun } from "../../engine/scheduler/cron_spec.ts";
import { JobQueue } from "../../engine/scheduler/job_queue.ts";
import { applyEvent, nextState, type JobFields } from "../../engine/scheduler/job_state.ts";

describe("the job state machine", () => {
  it("goes pending -> inProgress -> success | failed, and cancel only before the end", () => {
    const pending = { kind: "pending" } as const;
    expect(nextState(pending, { type: "start" })).toEqual({ kind: "inProgress" });
    // A mutation goes straight from pending to its outcome (inProgress is never visible).
    expect(nextState(pending, { type: "succeed" })).toEqual({ kind: "success" });
    expect(nextState({ kind: "inProgress" }, { type: "fail", error: "e" })).toEqual({
      kind: "failed",
      error: "e",
    });
    expect(nextState({ kind: "inProgress" }, { type: "cancel" })).toEqual({ kind: "canceled" });
    // Terminal states do not move: cancel of a finished job is a no-op, and the outcome of an
    // action canceled while it ran is dropped.
    for (const done of [
      { kind: "success" },
      { kind: "failed", error: "e" },
      { kind: "canceled" },
    ] as const) {
      expect(nextState(done, { type: "cancel" })).toBeNull();
      expect(nextState(done, { type: "succeed" })).toBeNull();
      expect(nextState(done, { type: "start" })).toBeNull();
    }
    expect(nextState({ kind: "inProgress" }, { type: "start" })).toBeNull();
  });

  it("stamps completedTime when a job reaches a terminal state", () => {
    const job: JobFields = {
      name: "a.js:b",
      args: [{}],
      scheduledTime: 5,
      state: { kind: "pending" },
    };
    expect(applyEvent(job, { type: "start" }, 7)).toEqual({
      name: "a.js:b",
      args: [{}],
      scheduledTime: 5,
      state: { kind: "inProgress" },
    });
    expect(applyEvent(job, { type: "cancel" }, 7)?.["completedTime"]).toBe(7);
  });
});

describe("the due-time queue", () => {
  it("pops due ids in time order, honours re-queues and deletes", () => {
    const queue = new JobQueue();
    queue.set("c", 30);
    queue.set("a", 10);
    queue.set("b", 20);
    queue.set("a", 25); // moved later: the old entry is stale
    queue.delete("b");
    expect(queue.nextDueMs()).toBe(25);
    expect(queue.popDue(24)).toBeNull(); // nothing due yet
    expect(queue.popDue(100)).toBe("a");
    expect(queue.popDue(100)).toBe("c");
    expect(queue.popDue(100)).toBeNull();
    expect(queue.size).toBe(0);
  });
});

describe("next runs of cron schedules (UTC)", () => {
  const t = Date.UTC(2030, 0, 1, 10, 30);
  it("runs a new interval at once, then every period, skipping what was missed", () => {
    expect(nextRun({ type: "interval", minutes: 5 }, null, t)).toEqual({ nextMs: t, skipped: 0 });
    expect(nextRun({ type: "interval", seconds: 10 }, t, t + 1)).toEqual({
      nextMs: t + 10_000,
      skipped: 0,
    });
    // 35 s later: the runs at +10, +20 and +30 s were missed; the next is +40 s.
    expect(nextRun({ type: "interval", seconds: 10 }, t, t + 35_000)).toEqual({
      nextMs: t + 40_000,
      skipped: 3,
    });
  });

  it("turns hourly, daily, weekly and monthly into cron patterns", () => {
    const at = (schedule: Parameters<typeof nextRun>[0]): string =>
      new Date(nextRun(schedule, null, t).nextMs).toISOString();
    expect(at({ type: "hourly", minuteUTC: 30 })).toBe("2030-01-01T11:30:00.000Z");
    expect(at({ type: "daily", hourUTC: 12 })).toBe("2030-01-01T12:00:00.000Z");
    expect(at({ type: "weekly", dayOfWeek: "monday", hourUTC: 9, minuteUTC: 5 })).toBe(
      "2030-01-07T09:05:00.000Z",
    );
    expect(at({ type: "monthly", day: 1, hourUTC: 0 })).toBe("2030-02-01T00:00:00.000Z");
    expect(at({ type: "cron", cron: "*/15 * * * *" })).toBe("2030-01-01T10:45:00.000Z");
  });

  it("counts the occurrences a cron pattern missed, and refuses patterns that never match", () => {
    // Last run 09:30, now 10:30: 09:45, 10:00, 10:15 and 10:30 were missed.
    expect(nextRun({ type: "cron", cron: "*/15 * * * *" }, t - 3_600_000, t)).toEqual({
      nextMs: Date.UTC(2030, 0, 1, 10, 45),
      skipped: 4,
    });
    expect(() => nextRun({ type: "cron", cron: "0 0 31 2 *" }, null, t)).toThrow(
      "The cron spec 0 0 31 2 * will never match any time",
    );
    expect(() => nextRun({ type: "cron", cron: "* * *" }, null, t)).toThrow("expected 5 fields");
  });
});

describe("the manual clock", () => {
  it("calls wake-ups in time order when it moves, and never goes back", () => {
    const clock = new ManualClock(1_000);
    const calls: string[] = [];
    clock.wakeAt(3_000, () => calls.push("3s"));
    clock.wakeAt(2_000, () => calls.push("2s"));
    const cancel = clock.wakeAt(2_500, () => calls.push("canceled"));
    cancel();
    clock.advance(500);
    expect(calls).toEqual([]);
    clock.set(3_000);
    expect(calls).toEqual(["2s", "3s"]);
    expect(() => clock.set(2_000)).toThrow("cannot go back");
  });
});
