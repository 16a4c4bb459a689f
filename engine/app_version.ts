/**
 * One version of the app's functions, built and checked before anything of it serves: `DIR/convex`
 * bundled and evaluated against a fresh `Convex` syscall object, its components loaded, the CLI's
 * system functions added, an authenticator for its `auth.config.ts`, and every existing document
 * checked against its schemas. Any failure throws with the `problems` naming the files, so the
 * engine keeps serving the previous version.
 */
import fs from "node:fs";
import type { ComponentSet } from "./components/component_set.ts";
import { loadComponents } from "./components/component_loader.ts";
import type { DeploymentUrls } from "./engine_options.ts";
import { functionEnvironment } from "./env/environment.ts";
import { authConfigMissingVariableText } from "./convex_messages.ts";
import { errorMessageOf } from "./errors.ts";
import type { FileStorage } from "./files/file_storage.ts";
import { Authenticator } from "./auth/auth.ts";
import { bundleConvexDir } from "./runtime/bundler.ts";
import type { Executor } from "./runtime/executor.ts";
import { loadApp, type LoadedApp } from "./runtime/loader.ts";
import { createConvexGlobal } from "./runtime/syscalls.ts";
import type { JobScheduling } from "./scheduler/scheduling.ts";
import { findSchemaMismatch } from "./schema_checks.ts";
import type { DocumentStore } from "./storage/document_store.ts";
import { addCliSystemFunctions } from "./system/cli_functions.ts";
import type { SnapshotImports } from "./system/snapshot_imports.ts";
import type { CursorKeys } from "./runtime/page_cursor.ts";
import type { DeploymentJwtKey } from "./auth/deployment_jwt.ts";

export interface AppVersion {
  readonly app: LoadedApp;
  readonly auth: Authenticator;
  readonly components: ComponentSet;
}

export interface AppVersionDeps {
  /** The app folder (named in the error when `convex/` is missing). */
  readonly dir: string;
  readonly convexDir: string;
  readonly executor: Executor;
  readonly files: FileStorage;
  readonly jobScheduling: JobScheduling;
  readonly store: DocumentStore;
  readonly imports: SnapshotImports;
  /** The stored environment variables (what `env list` shows). */
  readonly env: () => ReadonlyMap<string, string>;
  /** The deployment's URLs, which functions also see as Convex's system variables. */
  readonly deploymentUrls: DeploymentUrls | undefined;
  readonly nextStreamId: () => number;
  /** What pagination cursors are sealed with. */
  readonly cursorKeys: CursorKeys;
  /** What `ctx.auth.signJwt` signs with. */
  readonly jwtKey: DeploymentJwtKey;
  /** The time limit of each auth key fetch. // ms */
  readonly authTimeoutMs: number;
}

/**
 * Bundles and evaluates `DIR/convex` as a new version, nothing applied yet.
 * @throws with `problems` naming each file that stops it from loading.
 */
export async function loadAppVersion(deps: AppVersionDeps): Promise<AppVersion> {
  if (!fs.existsSync(deps.convexDir)) {
    throw new Error(`No convex/ folder in ${deps.dir}.`);
  }
  const bundle = await bundleConvexDir(deps.convexDir);
  const env = Object.fromEntries(functionEnvironment(deps.env(), deps.deploymentUrls));
  const convex = createConvexGlobal({
    runNested: deps.executor.runNested,
    runFromAction: deps.executor.runFromAction,
    nextStreamId: deps.nextStreamId,
    files: deps.files,
    scheduler: deps.jobScheduling,
    search: deps.store.search,
    cursorKeys: deps.cursorKeys,
    jwtSigning: { key: deps.jwtKey, cloudUrl: env["CONVEX_CLOUD_URL"] },
  });
  const app = loadApp(bundle, convex, env);
  const components = await loadComponents(deps.convexDir, convex, env);
  app.registry.attachComponents((path) => components.instance(path)?.registry);
  addCliSystemFunctions(app.registry, {
    router: app.httpRouter,
    url: () => deps.files.origin,
    env: deps.env,
    imports: deps.imports,
    documents: () => deps.store.latestDocuments(),
  });
  const auth = authenticatorFor(app, deps.authTimeoutMs);
  const mismatch = findSchemaMismatch(
    app.schema,
    components,
    deps.store,
    deps.executor.tableNameOfId,
  );
  if (mismatch !== null) {
    throw Object.assign(new Error(mismatch.reason), { problems: [mismatch] });
  }
  return { app, auth, components };
}

/**
 * An authenticator for `app`'s `auth.config.ts`.
 * @throws with the problem named for `auth.config.ts`: when the config read a variable that is not
 *   set, Convex's message naming it (the likely cause, as for Clerk's `CLERK_JWT_ISSUER_DOMAIN`).
 */
function authenticatorFor(app: LoadedApp, timeoutMs: number): Authenticator {
  try {
    return new Authenticator(app.authConfig, timeoutMs);
  } catch (error) {
    const [unset] = app.authConfigUnsetVariables;
    const reason =
      unset === undefined ? errorMessageOf(error) : authConfigMissingVariableText(unset);
    throw Object.assign(new Error(reason), {
      problems: [{ file: "convex/auth.config.ts", reason }],
    });
  }
}
