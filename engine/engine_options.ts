/**
 * The engine's options and what its loading reports: the public configuration surface of
 * `Engine.start`, apart from the engine so readers of the options need not read the engine.
 */
import path from "node:path";
import type { ModuleProblem } from "./runtime/bundler.ts";
import type { Durability } from "./storage/persistence.ts";
import type { FileStorageOptions } from "./files/file_storage.ts";
import type { Clock } from "./scheduler/clock.ts";
import type { SnapshotImportOptions } from "./system/import_limits.ts";

/** Where a deployment is reached: its API (Convex's `.convex.cloud`) and its site (`.convex.site`). */
export interface DeploymentUrls {
  readonly cloud: string;
  readonly site: string;
}

export interface EngineOptions {
  /** The app folder: the one holding `convex/`. */
  readonly dir: string;
  /** @default `DIR/.convex-graphql/data.sqlite3` */
  readonly dataFile?: string;
  /** @default "full" (fsync per commit batch) */
  readonly durability?: Durability;
  /**
   * Environment variables to store at start (as `convex-graphql env set` would; they override
   * stored values of the same names). Functions see the stored variables as `process.env`.
   * @throws (from `start`) RequestError on an invalid name or value.
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * How often to look for environment variables changed by another process (the `env` command)
   * in the data file. @default 1_000 // ms
   */
  readonly environmentPollMs?: number;
  /**
   * The deployment's own URLs, which functions read as Convex's system variables
   * `process.env.CONVEX_CLOUD_URL` and `CONVEX_SITE_URL` (a stored variable of the same name wins,
   * as a custom domain does on Convex). `startBackend` sets them to where it listens. @default none
   */
  readonly deploymentUrls?: DeploymentUrls;
  /** An action's time limit. @default 600_000 (10 minutes, as Convex) // ms */
  readonly actionTimeoutMs?: number;
  /** File storage limits and clock (`ctx.storage`); files live in `<data file dir>/storage/`. */
  readonly files?: FileStorageOptions;
  /**
   * The deployment's admin key (`Authorization: Convex <key>`).
   * @default the key in `admin_key` beside the data file, made there on first start
   */
  readonly adminKey?: string;
  /** The time limit of each auth key fetch (JWKS, OIDC discovery). @default 10_000 // ms */
  readonly authTimeoutMs?: number;
  /** Where progress and problems are reported. @default stderr */
  readonly log?: (line: string) => void;
  /**
   * The clock functions see (`Date.now()`, `_creationTime`) and the scheduler runs jobs and cron
   * jobs by. Tests inject a `ManualClock` to move time instead of sleeping.
   * @default systemClock (the real time)
   */
  readonly clock?: Clock;
  /**
   * Answer `/api/query` from the shared query cache when an identical query (function, args,
   * identity if read) was already computed at the latest timestamp, as Convex does. `false`
   * executes every request (benchmarks compare the two). @default true
   */
  readonly httpQueryCache?: boolean;
  /** Scheduled functions and cron runs executing at once. @default 16 */
  readonly schedulerParallelism?: number;
  /**
   * `npx convex import`'s limits: the bytes unfinished uploads and unconfirmed imports hold
   * (64 MiB) and how long they may sit untouched (1 hour). @default {}
   */
  readonly imports?: SnapshotImportOptions;
}

/** Where an app's data lives unless told otherwise: `DIR/.convex-graphql/data.sqlite3`. */
export function defaultDataFile(dir: string): string {
  return path.join(dir, ".convex-graphql", "data.sqlite3");
}

/** The outcome of (re)loading the functions. */
export interface LoadReport {
  readonly ok: boolean;
  readonly functions: number;
  readonly problems: readonly ModuleProblem[];
}
