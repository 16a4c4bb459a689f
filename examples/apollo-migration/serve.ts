/**
 * `npm run example`: builds the app with Vite, then serves it on top of what `npm start` runs
 * (the embedded Convex backend with the repository's example app, and the gateway), with the
 * legacy API merged into the gateway (`--merge`):
 *
 *   browser --(Apollo Client: HttpLink multipart, or graphql-ws)--> gateway :4000 --> Convex :3210
 *                                                                      \--merge--> legacy :4001
 *
 * `startExample` is what the browser tests start, on free ports.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBackend } from "../../engine/index.ts";
import { startGateway } from "../../gateway/index.ts";
import { appSchemaOfDir } from "../../cli/app_description.ts";
import { mergeApis } from "../../gateway/merge/index.ts";
import { startLegacyServer } from "./legacy/legacy_server.ts";
import { serveApp } from "./static_server.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, "../..");

/** GraphiQL's starting document: the kitchen's live orders. */
export const GRAPHIQL_DOCUMENT = `# The kitchen's live order list (Convex). Run it, then place an order in the app.
subscription ActiveOrders {
  ordersGetActiveOrders { _id dish table status }
}
`;

export interface ExampleOptions {
  /** The app's port. @default 5173 */
  readonly appPort?: number;
  /** @default 4000 */
  readonly gatewayPort?: number;
  /** @default 3210 */
  readonly backendPort?: number;
  /** @default 3211 */
  readonly sitePort?: number;
  /** @default 4001 */
  readonly legacyPort?: number;
  /** @default examples/apollo-migration/.convex-graphql/data.sqlite3 */
  readonly dataFile?: string;
}

export interface Example {
  readonly appUrl: string;
  readonly gatewayUrl: string;
  readonly legacyUrl: string;
  readonly convexUrl: string;
  close(): Promise<void>;
}

/** Runs `vite build` for the app (in a child process: a build must not block a host's event loop). */
export async function buildApp(): Promise<void> {
  const vite = path.join(REPO_ROOT, "node_modules/vite/bin/vite.js");
  const child = spawn(
    process.execPath,
    [vite, "build", "--config", path.join(HERE, "vite.config.ts")],
    {
      cwd: HERE,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`vite build failed (exit code ${code})`);
}

/** Starts the legacy API, Convex, the gateway (merging the legacy API) and the built app. */
export async function startExample(options: ExampleOptions = {}): Promise<Example> {
  const legacy = await startLegacyServer(options.legacyPort ?? 4001);
  const backend = await startBackend({
    dir: REPO_ROOT,
    port: options.backendPort ?? 3210,
    sitePort: options.sitePort ?? 3211,
    watch: false,
    log: () => {},
    dataFile: options.dataFile ?? path.join(HERE, ".convex-graphql/data.sqlite3"),
  });
  const convex = await appSchemaOfDir(REPO_ROOT, { log: () => {} });
  const merged = await mergeApis(() => convex.current(), [{ url: legacy.url }]);
  const gateway = await startGateway({
    convexUrl: backend.url,
    schema: () => merged.current(),
    plugins: merged.plugins,
    port: options.gatewayPort ?? 4000,
    dev: true,
    graphiqlDefaultQuery: GRAPHIQL_DOCUMENT,
  });
  const app = await serveApp(
    path.join(HERE, "dist"),
    { graphqlUrl: gateway.url },
    options.appPort ?? 5173,
  );
  return {
    appUrl: app.url,
    gatewayUrl: gateway.url,
    legacyUrl: legacy.url,
    convexUrl: backend.url,
    async close() {
      await app.close();
      await gateway.close();
      merged.close();
      convex.close();
      await backend.close();
      await legacy.close();
    },
  };
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  await buildApp();
  const example = await startExample();
  process.stdout.write(
    [
      `App:      ${example.appUrl}  (?transport=ws for graphql-ws; ?screen=menu)`,
      `GraphQL:  ${example.gatewayUrl}  (GraphiQL in a browser)`,
      `Legacy:   ${example.legacyUrl}  (merged into the gateway)`,
      `Convex:   ${example.convexUrl}`,
      "",
    ].join("\n"),
  );
  const stop = () => void example.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
