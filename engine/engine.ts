/**
 * The embedded Convex-compatible backend: loads `DIR/convex`, recovers data from SQLite, and
 * runs functions transactionally. Transports (HTTP API, sync protocol) sit on top of it.
 *
 * This module assembles the parts and applies a loaded version; beside it: engine_options.ts (the
 * options), document_recovery.ts (loading the data file at start), app_version.ts (building a
 * version of the functions), schema_checks.ts (documents against `schema.ts`) and
 * env/live_environment.ts (the environment variables, polled for other processes' changes).
 */
import path from "node:path";
import { errorMessageOf } from "./errors.ts";
import type { ModuleProblem } from "./runtime/bundler.ts";
import { Executor } from "./runtime/executor.ts";
import type { LoadedApp, SchemaInfo } from "./runtime/loader.ts";
import { FunctionRegistry } from "./runtime/registry.ts";
import { isImportQuery } from "./system/cli_functions.ts";
import { importTarget } from "./system/import_target.ts";
import { SnapshotImports } from "./system/snapshot_imports.ts";
import { DocumentStore } from "./storage/document_store.ts";
import { Persistence } from "./storage/persistence.ts";
import { CursorKeys } from "./runtime/page_cursor.ts";
import { DeploymentJwtKey } from "./auth/deployment_jwt.ts";
import { TableRegistry } from "./storage/table_registry.ts";
import type { DocumentValue, IndexDefinition } from "./storage/types.ts";
import { Committer } from "./transactions/committer.ts";
import { Authenticator, DEFAULT_AUTH_TIMEOUT_MS } from "./auth/auth.ts";
import { checkAdminKeyFormat, loadOrCreateAdminKey } from "./auth/admin_key.ts";
import { Credentials } from "./auth/credentials.ts";
import { LiveQueries } from "./subscriptions/live_queries.ts";
import { RetainedResults } from "./subscriptions/retained_results.ts";
import { SessionRequests } from "./sync/session_requests.ts";
import { applyChanges, functionEnvironment, type EnvironmentChange } from "./env/environment.ts";
import { LiveEnvironment } from "./env/live_environment.ts";
import { FileStorage } from "./files/file_storage.ts";
import type { HttpRoute, HttpRouterLike } from "./runtime/http_actions.ts";
import { systemClock, type Clock } from "./scheduler/clock.ts";
import { deploymentCrons, reconcileCrons } from "./scheduler/cron_jobs.ts";
import type { RunContext } from "./scheduler/run_context.ts";
import { Scheduler } from "./scheduler/scheduler.ts";
import { JobScheduling } from "./scheduler/scheduling.ts";
import { ComponentSet, type ComponentInstance } from "./components/component_set.ts";
import { loadAppVersion, type AppVersion, type AppVersionDeps } from "./app_version.ts";
import { recoverDocuments } from "./document_recovery.ts";
import { defaultDataFile, type EngineOptions, type LoadReport } from "./engine_options.ts";
import { checkWrite } from "./schema_checks.ts";

export { RECOVERY_PROGRESS_FROM } from "./document_recovery.ts";
export { defaultDataFile, type EngineOptions, type LoadReport } from "./engine_options.ts";

export class Engine {
  readonly store = new DocumentStore();
  readonly persistence: Persistence;
  /** This deployment's pagination cursor keys (its secret is kept in the data file). */
  private readonly cursorKeys: CursorKeys;
  /** The key of `ctx.auth.signJwt`; its public half is served at `/.well-known/jwks.json`. */
  readonly jwtKey: DeploymentJwtKey;
  readonly tables: TableRegistry;
  readonly committer: Committer;
  readonly executor: Executor;
  /** `ctx.storage`: files beside the data file, described by the `_storage` table. */
  readonly files: FileStorage;
  private app: LoadedApp = {
    registry: new FunctionRegistry(),
    schema: null,
    authConfig: undefined,
    authConfigUnsetVariables: [],
    httpRouter: null,
    crons: new Map(),
    problems: [],
  };
  /** The component instances of the loaded version (`convex/convex.config.ts`). */
  private components = new ComponentSet();
  private streamCounter = 0;
  private readonly reloadListeners = new Set<(report: LoadReport) => void>();
  readonly liveQueries: LiveQueries;
  /** `/api/query` results kept in the shared query cache (null: every query executes). */
  readonly queryCache: RetainedResults | null;
  readonly sessionRequests: SessionRequests;
  private auth: Authenticator;
  /** The deployment's admin key. */
  readonly adminKey: string;
  /** Resolves callers' credentials (user tokens, the admin key). */
  readonly credentials: Credentials;
  private readonly environment: LiveEnvironment;
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
  private readonly versionDeps: AppVersionDeps;

  private constructor(readonly options: EngineOptions) {
    const initial = Object.entries(options.env ?? {}).map(([name, value]) => ({ name, value }));
    applyChanges(new Map(), initial); // refuses invalid names and values before opening anything
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.convexDir = path.join(options.dir, "convex");
    const dataFile = options.dataFile ?? defaultDataFile(options.dir);
    if (options.adminKey !== undefined) checkAdminKeyFormat(options.adminKey);
    this.adminKey =
      options.adminKey ?? loadOrCreateAdminKey(path.join(path.dirname(dataFile), "admin_key"));
    const authTimeoutMs = options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS;
    this.auth = new Authenticator(undefined, authTimeoutMs);
    this.credentials = new Credentials({
      authenticator: () => this.auth,
      adminKey: this.adminKey,
    });
    this.persistence = new Persistence(dataFile, options.durability ?? "full");
    this.cursorKeys = new CursorKeys(this.persistence.secret("cursors"));
    this.jwtKey = new DeploymentJwtKey(this.persistence.secret("jwt-signing"));
    this.tables = new TableRegistry(this.persistence);
    const recoveredTs = this.persistence.maxTimestamp();
    this.committer = new Committer(this.store, this.persistence, recoveredTs);
    this.sessionRequests = new SessionRequests(this.committer, this.store);
    recoverDocuments(this.persistence, this.store, this.sessionRequests, recoveredTs, this.log);
    this.clock = options.clock ?? systemClock;
    const now = (): number => this.clock.now();
    this.executor = this.createExecutor(now);
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
    this.environment = new LiveEnvironment(
      {
        persistence: this.persistence,
        reload: () => this.reload(),
        log: this.log,
        ...(options.environmentPollMs !== undefined ? { pollMs: options.environmentPollMs } : {}),
      },
      initial,
    );
    this.versionDeps = this.appVersionDeps(authTimeoutMs);
  }

  /** The executor over this engine's storage, loaded functions and write checks. */
  private createExecutor(now: () => number): Executor {
    return new Executor({
      now,
      store: this.store,
      committer: this.committer,
      tables: this.tables,
      registry: () => this.app.registry,
      components: () => this.components,
      checkWrite: (table, document) => this.checkWrite(table, document),
      ...(this.options.actionTimeoutMs !== undefined
        ? { actionTimeoutMs: this.options.actionTimeoutMs }
        : {}),
    });
  }

  /** What building a new version of the functions needs (app_version.ts). */
  private appVersionDeps(authTimeoutMs: number): AppVersionDeps {
    return {
      dir: this.options.dir,
      convexDir: this.convexDir,
      executor: this.executor,
      files: this.files,
      jobScheduling: this.jobScheduling,
      store: this.store,
      imports: this.imports,
      env: () => this.environment.variables,
      deploymentUrls: this.options.deploymentUrls,
      nextStreamId: () => ++this.streamCounter,
      cursorKeys: this.cursorKeys,
      jwtKey: this.jwtKey,
      authTimeoutMs,
    };
  }

  /** True once the functions loaded at least once (at start, or by a later fix). */
  get functionsLoaded(): boolean {
    return this.loadedOnce;
  }

  /** The deployment's environment variables (what functions see as `process.env`). */
  get environmentVariables(): ReadonlyMap<string, string> {
    return this.environment.variables;
  }

  /** What functions see as `process.env`: the stored variables and Convex's system variables. */
  get functionEnvironmentVariables(): ReadonlyMap<string, string> {
    return functionEnvironment(this.environment.variables, this.options.deploymentUrls);
  }

  /**
   * Sets (or, with a `null` value, removes) environment variables, stores them, and reloads the
   * functions so module top levels and `auth.config.ts` see the new values.
   * @throws RequestError (`BadRequest`) on an invalid name or value; nothing changes then.
   */
  async setEnvironmentVariables(changes: readonly EnvironmentChange[]): Promise<LoadReport> {
    return this.environment.set(changes);
  }

  /** Calls `listener` after each change of the environment variables; returns an unsubscribe. */
  onEnvironmentChange(listener: () => void): () => void {
    return this.environment.onChange(listener);
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
   * Where a site request's path goes: the longest component mount (`httpPrefix`) it is under,
   * else the app's router.
   */
  httpRoute(pathname: string): HttpRoute {
    let best: ComponentInstance | null = null;
    for (const instance of this.components.list()) {
      const mount = instance.httpMount;
      if (mount === null || !pathname.startsWith(mount)) continue;
      if (best === null || mount.length > (best.httpMount?.length ?? 0)) best = instance;
    }
    if (best === null || best.httpMount === null)
      return { router: this.app.httpRouter, path: pathname };
    return {
      router: best.httpRouter,
      path: `/${pathname.slice(best.httpMount.length)}`,
      componentPath: best.path,
    };
  }

  /**
   * Bundles and loads `DIR/convex` again. On a compile error, a module or `auth.config.ts` that
   * throws while loading, or an invalid schema, the previous version keeps serving and the
   * problems are reported: nothing half-loaded serves. (A `"use node"` module that does not
   * bundle is reported and skipped on its own.)
   */
  async reload(): Promise<LoadReport> {
    const report = await this.loadVersion();
    for (const listener of this.reloadListeners) listener(report);
    return report;
  }

  /**
   * Calls `listener` with the report of each reload (a file change, a variable change, `reload()`),
   * once the version it loaded serves or was refused; returns an unsubscribe. `dev` derives the
   * GraphQL schema again only for versions the backend serves.
   */
  onReload(listener: (report: LoadReport) => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  private async loadVersion(): Promise<LoadReport> {
    let version: AppVersion;
    try {
      version = await loadAppVersion(this.versionDeps);
    } catch (error) {
      const problems = (error as { problems?: ModuleProblem[] }).problems ?? [
        { file: "convex/", reason: errorMessageOf(error) },
      ];
      for (const problem of problems) this.log(`✖ ${problem.file}: ${problem.reason}`);
      this.log(
        this.loadedOnce
          ? "✖ Functions not updated: the previous version keeps serving."
          : "✖ No functions are served until this is fixed.",
      );
      return { ok: false, functions: this.app.registry.list().length, problems };
    }
    const { app } = version;
    for (const problem of app.problems) this.log(`✖ ${problem.file}: ${problem.reason}`);
    this.apply(version);
    // `crons.ts` (the app's and its components') is registered once the new functions serve (the
    // crons name them).
    const crons = deploymentCrons(app.crons, version.components.list());
    const cronProblems = await reconcileCrons(this.runContext, crons);
    for (const problem of cronProblems) this.log(`✖ ${problem.file}: ${problem.reason}`);
    const count = app.registry.list().length;
    this.loadedOnce = true;
    this.log(`✔ Loaded ${count} functions from ${this.convexDir}`);
    return { ok: true, functions: count, problems: [...app.problems, ...cronProblems] };
  }

  /** Makes `version` the one serving: its indexes, search indexes and tables; results rerun. */
  private apply({ app, auth, components }: AppVersion): void {
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
  }

  /** Checks a document about to be written: value limits, then `schema.ts` (schema_checks.ts). */
  private checkWrite(table: string, document: DocumentValue): string | null {
    return checkWrite(
      table,
      document,
      this.app.schema,
      this.components,
      this.executor.tableNameOfId,
    );
  }

  /** Closes the data file. Pending commits are flushed first. */
  async close(): Promise<void> {
    this.scheduler.close();
    this.environment.close();
    this.imports.close();
    this.sessionRequests.close();
    await new Promise((resolve) => setImmediate(resolve));
    await this.committer.idle();
    this.persistence.close();
    await this.persistence.closed();
  }
}
