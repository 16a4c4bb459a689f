/**
 * Cron job definitions (`convex/crons.ts`, `cronJobs()` from `convex/server`) and when each runs
 * next. Every schedule is in UTC. Intervals count from the previous scheduled run (the first run
 * is at once, when the cron is registered); the other schedules become 5-field cron patterns,
 * evaluated with `croner`. Runs missed while the engine was stopped or busy are skipped, not
 * replayed: an overdue run happens once, and the next one is the first occurrence after now.
 */
import { Cron } from "croner";

export type CronSchedule =
  | {
      readonly type: "interval";
      readonly seconds?: number;
      readonly minutes?: number;
      readonly hours?: number;
    }
  | { readonly type: "hourly"; readonly minuteUTC?: number }
  | { readonly type: "daily"; readonly hourUTC: number; readonly minuteUTC?: number }
  | {
      readonly type: "weekly";
      readonly dayOfWeek: string;
      readonly hourUTC: number;
      readonly minuteUTC?: number;
    }
  | {
      readonly type: "monthly";
      readonly day: number;
      readonly hourUTC: number;
      readonly minuteUTC?: number;
    }
  | { readonly type: "cron"; readonly cron: string };

/** One cron job as `crons.ts` declares it. */
export interface CronSpec {
  /** The cron's identifier (unique). */
  readonly name: string;
  /** The function path as given (`orders:archiveServed`). */
  readonly functionPath: string;
  /** Convex-encoded JSON of the arguments object. */
  readonly args: unknown;
  readonly schedule: CronSchedule;
}

const DAYS_OF_WEEK = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/** How many missed occurrences of a cron pattern are counted at most. */
const MAX_SKIPPED_COUNTED = 10_000;

interface ExportedCron {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly schedule: CronSchedule;
}

/**
 * The cron jobs of a `crons.ts` default export (a `Crons` object: `isCrons`, `export()`).
 * @throws Error naming the cron when its schedule is invalid or never matches.
 */
export function parseCronsExport(crons: unknown): Map<string, CronSpec> {
  const specs = new Map<string, CronSpec>();
  const object = crons as { isCrons?: unknown; export?: unknown } | null | undefined;
  if (object?.isCrons !== true || typeof object.export !== "function") {
    throw new Error("The default export of crons.ts must be cronJobs() (from convex/server).");
  }
  const exported = JSON.parse((object.export as () => string)()) as Record<string, ExportedCron>;
  for (const [name, cron] of Object.entries(exported)) {
    const spec: CronSpec = {
      name,
      functionPath: cron.name,
      args: cron.args[0] ?? {},
      schedule: cron.schedule,
    };
    nextRun(spec.schedule, null, 0); // validates
    specs.set(name, spec);
  }
  return specs;
}

/** The period of an interval schedule in ms, or null for clock schedules. */
export function intervalMs(schedule: CronSchedule): number | null {
  if (schedule.type !== "interval") return null;
  const seconds =
    schedule.seconds ?? (schedule.minutes !== undefined ? schedule.minutes * 60 : undefined);
  const total = seconds ?? (schedule.hours ?? Number.NaN) * 3600;
  if (!Number.isInteger(total) || total <= 0)
    throw new Error("Interval must be an integer greater than 0");
  return total * 1000;
}

/** The 5-field UTC cron pattern of a clock schedule (minute 0 when `minuteUTC` is omitted). */
export function cronPattern(schedule: Exclude<CronSchedule, { type: "interval" }>): string {
  switch (schedule.type) {
    case "hourly":
      return `${schedule.minuteUTC ?? 0} * * * *`;
    case "daily":
      return `${schedule.minuteUTC ?? 0} ${schedule.hourUTC} * * *`;
    case "weekly": {
      const day = DAYS_OF_WEEK.indexOf(schedule.dayOfWeek);
      if (day === -1) throw new Error('Day of week must be a string like "monday".');
      return `${schedule.minuteUTC ?? 0} ${schedule.hourUTC} * * ${day}`;
    }
    case "monthly":
      return `${schedule.minuteUTC ?? 0} ${schedule.hourUTC} ${schedule.day} * *`;
    case "cron":
      return schedule.cron;
    default:
      schedule satisfies never;
      throw new Error("Unknown cron schedule.");
  }
}

/** A paused croner job for `pattern` in UTC. @throws Error when the pattern is invalid. */
function patternJob(pattern: string): Cron {
  if (pattern.trim().split(/\s+/).length !== 5) {
    throw new Error(
      `Invalid cron spec "${pattern}": expected 5 fields (minute hour day month weekday).`,
    );
  }
  try {
    return new Cron(pattern, { timezone: "UTC", paused: true });
  } catch (error) {
    throw new Error(`Invalid cron spec "${pattern}": ${(error as Error).message}`);
  }
}

/**
 * When a cron runs next. `prevMs`: the scheduled time of the run that just finished (null: the
 * cron was just registered). Returns the next scheduled time (after `nowMs`, or `nowMs` for a new
 * interval cron) and how many occurrences between the two were skipped.
 * @throws Error when the schedule is invalid or never matches.
 */
export function nextRun(
  schedule: CronSchedule,
  prevMs: number | null,
  nowMs: number,
): { readonly nextMs: number; readonly skipped: number } {
  const period = intervalMs(schedule);
  if (period !== null) {
    if (prevMs === null) return { nextMs: nowMs, skipped: 0 };
    const steps = Math.max(1, Math.floor((nowMs - prevMs) / period) + 1);
    return { nextMs: prevMs + steps * period, skipped: steps - 1 };
  }
  const pattern = cronPattern(schedule as Exclude<CronSchedule, { type: "interval" }>);
  const job = patternJob(pattern);
  const next = job.nextRun(new Date(Math.max(prevMs ?? nowMs, nowMs)));
  if (next === null) throw new Error(`The cron spec ${pattern} will never match any time`);
  let skipped = 0;
  if (prevMs !== null) {
    let occurrence = job.nextRun(new Date(prevMs));
    while (occurrence !== null && occurrence.getTime() <= nowMs && skipped < MAX_SKIPPED_COUNTED) {
      skipped++;
      occurrence = job.nextRun(occurrence);
    }
  }
  return { nextMs: next.getTime(), skipped };
}
