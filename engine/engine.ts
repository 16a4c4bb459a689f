/**
 * The embedded Convex-compatible backend: loads `DIR/convex`, recovers data from SQLite, and
 * runs functions transactionally. Transports (HTTP API, sync protocol) sit on top of it.
 */
import fs from "node:fs";
import path from "node:path";
import { errorMessageOf } from "./errors.ts";
import { bundleConvexDir, type ModuleProblem } from "./runtime/bundler.ts";
import { Executor } from "./runtime/executor.ts";
import { loadApp, type LoadedApp, type SchemaInfo } from "./runtime/loader.ts";
import { FunctionRegistry } from "./runtime/registry.ts";
import { addCliSystemFunctions, isImportQuery } from "./system/cli_functions.ts";
import { importTarget } from "./system/import_target.ts";
import type { SnapshotImportOptions } from "./system/import_limits.ts";
import { SnapshotImports } from "./system/snapshot_imports.ts";
import { createConvexGlobal } from "./runtime/syscalls.ts";
import { DocumentStore, storedDocument } from "./storage/document_store.ts";
import { Persistence, type Durability } from "./storage/persistence.ts";
import { TableRegistry } from "./storage/table_registry.ts";
import type { DocumentValue, IndexDefinition, Timestamp } from "./storage/types.ts";
import { Committer } from "./transactions/committer.ts";
import { jsonToConvex } from "convex/values";
import { checkDocument, userFieldsOf } from "./values/limits.ts";
import { schemaValidationMessage, validateValue } from "./values/validate.ts";
import { Authenticator, DEFAULT_AUTH_TIMEOUT_MS } from "./auth/auth.ts";
import { checkAdminKeyFormat, loadOrCreateAdminKey } from "./auth/admin_key.ts";
import { Credentials } from "./auth/credentials.ts";
import { LiveQueries } from "./subscriptions/live_queries.ts";
import { RetainedResults } from "./subscriptions/retained_results.ts";
import { SESSION_REQUESTS_TABLE, SessionRequests } from "./sync/session_requests.ts";
import { applyChanges, sameVariables, type EnvironmentChange } from "./env/environment.ts";
import { FileStorage, type FileStorageOptions } from "./files/file_storage.ts";
import type { HttpRouterLike } from "./runtime/http_actions.ts";
import { systemClock, type Clock } from "./scheduler/clock.ts";
import { reconcileCrons } from "./scheduler/cron_jobs.ts";
import type { RunContext } from "./scheduler/run_context.ts";
import { Scheduler } from "./scheduler/scheduler.ts";
import { JobScheduling } from "./scheduler/scheduling.ts";
import { ComponentSet } from "./components/component_set.ts";
import { loadComponents } from "./components/component_loader.ts";
import { componentOfTable, localTableName } from "./components/namespace.ts";

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

/** Data files with at least this many documents report their loading progress. */
export const RECOVERY_PROGRESS_FROM = 10_000;

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

/**
 * System tables (`_session_requests`, ...) are written by the engine itself: they are not in
 * `schema.ts` and not subject to the limits on user documents.
 */
function isSystemTable(table: string): boolean {
  return table.startsWith("_");
}

export class Engine {
  readonly store = new DocumentStore();
  readonly persistence: Persistence;
  readonly tables: TableRegistry;
  readonly committer: Committer;
  readonly executor: Executor;
  /** `ctx.storage`: files beside the data file, described by the `_storage` table. */
  readonly files: FileStorage;
  private app: LoadedApp = {
    registry: new FunctionRegistry(),
    schema: null,
    authConfig: undefined,
    httpRouter: null,
    crons: new Map(),
    problems: [],
  };
  /** The component instances of the loaded version (`convex/convex.config.ts`). */
  private components = new ComponentSet();
  private streamCounter = 0;
  readonly liveQueries: LiveQueries;
  /** `/api/query` results kept in the shared query cache (null: every query executes). */
  readonly queryCache: RetainedResults | null;
  readonly sessionRequests: SessionRequests;
  private auth: Authenticator;
  /** The deployment's admin key. */
  readonly adminKey: string;
  /** Resolves callers' credentials (user tokens, the admin key). */
  readonly credentials: Credentials;
  private env: ReadonlyMap<string, string>;
  private envDataVersion: number;
  private readonly envPoll: NodeJS.Timeout;
  private readonly envListeners = new Set<() => void>();
  private readonly log: (line: string) => void;
  private loadedOnce = false;
  readonly convexDir: string;
  /** The clock of functions and of the scheduler. */
  readonly clock: Clock;
  /** Runs scheduled functions and cron jobs. */
  readonly scheduler: Scheduler;
  private readonly jobScheduling: JobScheduling;
  /** `npx convex import`: uploads and imports (system/snapshot_imports.ts). */
  readonly imports: SnapshotImports;
  private readonly runContext: RunContext;

  private constructor(readonly options: EngineOptions) {
    const initial = Object.entries(options.env ?? {}).map(([name, value]) => ({ name, value }));
    applyChanges(new Map(), initial); // refuses invalid names and values before opening anything
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.convexDir = path.join(options.dir, "convex");
    const dataFile = options.dataFile ?? defaultDataFile(options.dir);
    if (options.adminKey !== undefined) checkAdminKeyFormat(options.adminKey);
    this.adminKey =
      options.adminKey ?? loadOrCreateAdminKey(path.join(path.dirname(dataFile), "admin_key"));
    this.auth = new Authenticator(undefined, options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS);
    this.credentials = new Credentials({
      authenticator: () => this.auth,
      adminKey: this.adminKey,
    });
    this.persistence = new Persistence(dataFile, options.durability ?? "full");
    this.tables = new TableRegistry(this.persistence);
    const recoveredTs = this.persistence.maxTimestamp();
    this.committer = new Committer(this.store, this.persistence, recoveredTs);
    this.sessionRequests = new SessionRequests(this.committer, this.store);
    this.recoverDocuments(recoveredTs);
    this.clock = options.clock ?? systemClock;
    const now = (): number => this.clock.now();
    this.executor = new Executor({
      now,
      store: this.store,
      committer: this.committer,
      tables: this.tables,
      registry: () => this.app.registry,
      components: () => this.components,
      checkWrite: (table, document) => this.checkWrite(table, document),
      ...(options.actionTimeoutMs !== undefined
        ? { actionTimeoutMs: options.actionTimeoutMs }
        : {}),
    });
    this.liveQueries = new LiveQueries(this.executor, this.committer);
    this.queryCache =
      options.httpQueryCache === false ? null : new RetainedResults(this.liveQueries);
    this.files = new FileStorage({
      ...options.files,
      store: this.store,
      committer: this.committer,
      tables: this.tables,
      dir: path.join(path.dirname(dataFile), "storage"),
    });
    const registry = (): FunctionRegistry => this.app.registry;
    const base = { store: this.store, committer: this.committer, tables: this.tables, now };
    this.jobScheduling = new JobScheduling({ ...base, registry });
    this.imports = new SnapshotImports(
      importTarget({ ...base, checkWrite: (table, document) => this.checkWrite(table, document) }),
      options.imports,
      () => this.liveQueries.invalidateFunctions(isImportQuery, this.committer.publishedTs),
    );
    this.runContext = { ...base, registry, executor: this.executor, log: this.log };
    this.scheduler = new Scheduler(this.runContext, {
      clock: this.clock,
      ...(options.schedulerParallelism !== undefined
        ? { parallelism: options.schedulerParallelism }
        : {}),
    });
    this.env =
      initial.length === 0
        ? this.persistence.environmentVariables()
        : this.persistence.changeEnvironmentVariables((current) => applyChanges(current, initial));
    this.envDataVersion = this.persistence.dataVersion();
    this.envPoll = setInterval(() => this.pollEnvironment(), options.environmentPollMs ?? 1_000);
    this.envPoll.unref();
  }

  /**
   * Loads every stored document into memory. A data file of `RECOVERY_PROGRESS_FROM` documents or
   * more reports its progress at every tenth, then the total and the time it took.
   */
  private recoverDocuments(recoveredTs: Timestamp): void {
    const total = this.persistence.documentCount();
    const report = total >= RECOVERY_PROGRESS_FROM;
    const started = Date.now();
    let loaded = 0;
    let nextTenth = 1;
    if (report) this.log(`Loading ${total} documents from ${this.persistence.file}...`);
    for (const row of this.persistence.documents()) {
      const value = jsonToConvex(JSON.parse(row.json) as never) as DocumentValue;
      this.store.load(storedDocument(row.id, row.table, value, row.json), recoveredTs);
      if (row.table === SESSION_REQUESTS_TABLE) this.sessionRequests.record(value, BigInt(row.ts));
      loaded++;
      if (report && loaded * 10 >= nextTenth * total && nextTenth < 10) {
        this.log(`  ${nextTenth * 10}% (${loaded} of ${total} documents)`);
        nextTenth = Math.floor((loaded * 10) / total) + 1;
      }
    }
    if (report) this.log(`✔ Loaded ${loaded} documents in ${Date.now() - started} ms`);
  }

  /** True once the functions loaded at least once (at start, or by a later fix). */
  get functionsLoaded(): boolean {
    return this.loadedOnce;
  }

  /** The deployment's environment variables (what functions see as `process.env`). */
  get environmentVariables(): ReadonlyMap<string, string> {
    return this.env;
  }

  /**
   * Sets (or, with a `null` value, removes) environment variables, stores them, and reloads the
   * functions so module top levels and `auth.config.ts` see the new values.
   * @throws RequestError (`BadRequest`) on an invalid name or value; nothing changes then.
   */
  async setEnvironmentVariables(changes: readonly EnvironmentChange[]): Promise<LoadReport> {
    this.env = this.persistence.changeEnvironmentVariables((current) =>
      applyChanges(current, changes),
    );
    this.envDataVersion = this.persistence.dataVersion();
    return this.environmentChanged();
  }

  /** Calls `listener` after each change of the environment variables; returns an unsubscribe. */
  onEnvironmentChange(listener: () => void): () => void {
    this.envListeners.add(listener);
    return () => this.envListeners.delete(listener);
  }

  /** Picks up variables another process (the `env` command) changed in the data file. */
  private pollEnvironment(): void {
    const version = this.persistence.dataVersion();
    if (version === this.envDataVersion) return;
    this.envDataVersion = version;
    const stored = this.persistence.environmentVariables();
    if (sameVariables(stored, this.env)) return;
    this.env = stored;
    this.log("✔ Environment variables changed: reloading functions");
    void this.environmentChanged();
  }

  private async environmentChanged(): Promise<LoadReport> {
    const report = await this.reload();
    for (const listener of this.envListeners) listener();
    return report;
  }

  /** Reports a problem the operator should know of (the log of the engine's options). */
  warn(line: string): void {
    this.log(line);
  }

  /** Verifies tokens against the loaded `auth.config.ts` (no providers before one loads). */
  get authenticator(): Authenticator {
    return this.auth;
  }

  /**
   * Opens the data file, recovers every committed document, and loads `DIR/convex`.
   * A load failure is reported (the engine then serves no functions until a good reload).
   */
  static async start(options: EngineOptions): Promise<Engine> {
    const engine = new Engine(options);
    // The commit writer's thread starts beside the loading; the first commit need not wait for it.
    const writerReady = engine.persistence.startWriter();
    await engine.files.recover();
    await engine.reload();
    await writerReady;
    await engine.scheduler.start();
    return engine;
  }

  /** The loaded functions. */
  get registry(): FunctionRegistry {
    return this.app.registry;
  }

  get schema(): SchemaInfo | null {
    return this.app.schema;
  }

  get authConfig(): unknown {
    return this.app.authConfig;
  }

  /** The router of `convex/http.ts` (HTTP actions), or null when the app has none. */
  get httpRouter(): HttpRouterLike | null {
    return this.app.httpRouter;
  }

  /**
   * Bundles and loads `DIR/convex` again. On a compile error, a module or `auth.config.ts` that
   * throws while loading, or an invalid schema, the previous version keeps serving and the
   * problems are reported: nothing half-loaded serves. (A `"use node"` module that does not
   * bundle is reported and skipped on its own.)
   */
  async reload(): Promise<LoadReport> {
    let app: LoadedApp;
    let auth: Authenticator;
    let components: ComponentSet;
    try {
      ({ app, auth, components } = await this.loadVersion());
    } catch (error) {
      const problems = (error as { problems?: ModuleProblem[] }).problems ?? [
        { file: "convex/", reason: errorMessageOf(error) },
      ];
      for (const problem of problems) this.log(`✖ ${problem.file}: ${problem.reason}`);
      this.log("✖ Functions not updated: the previous version keeps serving.");
      return { ok: false, functions: this.app.registry.list().length, problems };
    }
    for (const problem of app.problems) this.log(`✖ ${problem.file}: ${problem.reason}`);
    this.app = app;
    this.auth = auth;
    this.components = components;
    const staged = [...(app.schema?.stagedIndexes ?? []), ...components.stagedIndexes()];
    this.store.setStagedIndexes(new Set(staged));
    const definitions = new Map<string, readonly IndexDefinition[]>();
    const tables = [...(app.schema?.tables.values() ?? []), ...components.tables()];
    for (const table of tables) definitions.set(table.name, table.indexes);
    this.store.setIndexDefinitions(definitions);
    const search = app.schema?.search ?? { text: [], vector: [] };
    this.store.search.setDefinitions(search, () => this.store.latestDocuments(), this.log);
    for (const table of tables) this.tables.numberOf(table.name);
    // Results computed by the old code are stale: subscribers rerun with the new code.
    this.liveQueries.invalidateAll(this.committer.publishedTs);
    // `crons.ts` is registered once the new functions serve (the crons name them).
    const cronProblems = await reconcileCrons(this.runContext, app.crons);
    for (const problem of cronProblems) this.log(`✖ ${problem.file}: ${problem.reason}`);
    const count = app.registry.list().length;
    this.loadedOnce = true;
    this.log(`✔ Loaded ${count} functions from ${this.convexDir}`);
    return { ok: true, functions: count, problems: [...app.problems, ...cronProblems] };
  }

  /**
   * Bundles and evaluates `DIR/convex` as a new version, nothing applied yet.
   * @throws with `problems` naming each file that stops it from loading.
   */
  private async loadVersion(): Promise<{
    app: LoadedApp;
    auth: Authenticator;
    components: ComponentSet;
  }> {
    if (!fs.existsSync(this.convexDir)) {
      throw new Error(`No convex/ folder in ${this.options.dir}.`);
    }
    const bundle = await bundleConvexDir(this.convexDir);
    const convex = createConvexGlobal({
      runNested: this.executor.runNested,
      runFromAction: this.executor.runFromAction,
      nextStreamId: () => ++this.streamCounter,
      files: this.files,
      scheduler: this.jobScheduling,
      search: this.store.search,
    });
    const app = loadApp(bundle, convex, Object.fromEntries(this.env));
    const components = await loadComponents(this.convexDir, convex, Object.fromEntries(this.env));
    app.registry.attachComponents((path) => components.instance(path)?.registry);
    addCliSystemFunctions(app.registry, {
      router: app.httpRouter,
      url: () => this.files.origin,
      env: () => this.env,
      imports: this.imports,
      documents: () => this.store.latestDocuments(),
    });
    const auth = this.authenticatorFor(app.authConfig);
    const mismatch = this.findSchemaMismatch(app.schema, components);
    if (mismatch !== null) {
      throw Object.assign(new Error(mismatch.reason), { problems: [mismatch] });
    }
    return { app, auth, components };
  }

  /** An authenticator for `config`. @throws with the problem named for `auth.config.ts`. */
  private authenticatorFor(config: unknown): Authenticator {
    try {
      return new Authenticator(config, this.options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS);
    } catch (error) {
      throw Object.assign(new Error(errorMessageOf(error)), {
        problems: [{ file: "convex/auth.config.ts", reason: errorMessageOf(error) }],
      });
    }
  }

  /**
   * The first existing document that does not match its schema (the app's, or its component's),
   * described with the schema file, or null.
   */
  private findSchemaMismatch(
    appSchema: SchemaInfo | null,
    components: ComponentSet,
  ): ModuleProblem | null {
    const validated = [appSchema, ...components.list().map((instance) => instance.schema)];
    if (!validated.some((schema) => schema?.schemaValidation === true)) return null;
    for (const document of this.store.latestDocuments()) {
      if (isSystemTable(document.table)) continue;
      const schema = components.schemaFor(document.table, appSchema);
      if (schema === null || schema === undefined || !schema.schemaValidation) continue;
      const problem = this.schemaProblem(schema, document.table, document.value);
      if (problem !== null) {
        const owner = components.instance(componentOfTable(document.table));
        return {
          file: owner === undefined ? "convex/schema.ts" : `${owner.definitionDir}/schema`,
          reason: `Schema validation failed: document with ID "${document.id}" in table "${localTableName(document.table)}" does not match the schema.\n${problem}`,
        };
      }
    }
    return null;
  }

  private schemaProblem(schema: SchemaInfo, table: string, document: DocumentValue): string | null {
    const tableSchema = schema.tables.get(table);
    const shown = localTableName(table); // as the owning component names it
    if (tableSchema === undefined) {
      return `Failed to insert or update a document in table "${shown}" because it does not match the schema: table "${shown}" is not declared in schema.ts.`;
    }
    if (tableSchema.documentType === null) return null;
    const failure = validateValue(tableSchema.documentType, userFieldsOf(document), {
      tableNameOfId: this.executor.tableNameOfId,
    });
    return failure === null ? null : schemaValidationMessage(shown, failure);
  }

  /** Checks a document about to be written: value limits, then `schema.ts`. */
  private checkWrite(table: string, document: DocumentValue): string | null {
    if (isSystemTable(table)) return null;
    const limit = checkDocument(document);
    if (limit !== null) return limit;
    const schema = this.components.schemaFor(table, this.app.schema);
    if (schema === null || schema === undefined || !schema.schemaValidation) return null;
    return this.schemaProblem(schema, table, document);
  }

  /** Closes the data file. Pending commits are flushed first. */
  async close(): Promise<void> {
    this.scheduler.close();
    clearInterval(this.envPoll);
    this.imports.close();
    this.sessionRequests.close();
    await new Promise((resolve) => setImmediate(resolve));
    await this.committer.idle();
    this.persistence.close();
    await this.persistence.closed();
  }
}
