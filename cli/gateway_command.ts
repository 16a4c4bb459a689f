/** `convex-graphql gateway`: GraphQL in front of any Convex deployment. */
import type { GraphQLSchema } from "graphql";
import { startGateway } from "../gateway/index.ts";
import type { MergedSchema } from "../gateway/merge/index.ts";
import { logger, milliseconds, parse, port } from "./flags.ts";
import { servedAppSchema } from "./gateway_schema.ts";
import { onSignals, persistedOption } from "./serve_options.ts";
import { fail } from "./usage.ts";

export async function runGateway(argv: string[]): Promise<void> {
  const values = parse(argv, {
    "convex-url": { type: "string" },
    dir: { type: "string", default: "." },
    schema: { type: "string" },
    "no-contract": { type: "boolean", default: false },
    "function-spec": { type: "string" },
    port: { type: "string", default: "4000" },
    host: { type: "string", default: "127.0.0.1" },
    "no-watch": { type: "boolean", default: false },
    dev: { type: "boolean", default: false },
    "no-introspection": { type: "boolean", default: false },
    "csrf-prevention": { type: "boolean", default: false },
    persisted: { type: "string" },
    "query-cache-ms": { type: "string" },
    "log-level": { type: "string" },
    merge: { type: "string", multiple: true },
    federation: { type: "boolean", default: false },
  });
  const log = logger(values["log-level"]);
  const queryCacheMs = milliseconds(values["query-cache-ms"], "--query-cache-ms");
  const convexUrl = values["convex-url"];
  if (convexUrl === undefined) fail("gateway needs --convex-url URL");
  try {
    new URL(convexUrl);
  } catch {
    fail(`--convex-url is not a URL: "${convexUrl}"`);
  }
  const schema = await servedAppSchema(values);
  const served = await servedSchema(schema, values.merge);
  const gateway = await startGateway({
    logger: log,
    convexUrl,
    schema: values.federation ? await federatedSchema(served.current) : served.current,
    plugins: served.plugins,
    port: port(values.port, "--port"),
    host: values.host,
    dev: values.dev,
    introspection: !values["no-introspection"],
    csrfPrevention: values["csrf-prevention"],
    ...persistedOption(values.persisted),
    ...(queryCacheMs !== undefined ? { queryCacheMs } : {}),
  });
  process.stdout.write(
    `GraphQL gateway ready at ${gateway.url} (GraphiQL: open it in a browser) -> Convex ${convexUrl}\n`,
  );
  onSignals(async () => {
    schema.close();
    served.close();
    await gateway.close();
  });
}

/** `--federation`'s schema (loaded only then: the CLI starts faster without stitching's modules). */
export async function federatedSchema(current: () => GraphQLSchema): Promise<() => GraphQLSchema> {
  const { federated } = await import("../gateway/federation/subgraph.ts");
  return federated(current);
}

/** The Convex schema, with the APIs of `--merge` stitched in when there are any. */
export async function servedSchema(
  schema: { current: () => GraphQLSchema },
  merge: string[] | undefined,
): Promise<Pick<MergedSchema, "current" | "plugins" | "close">> {
  if (merge === undefined || merge.length === 0) {
    return { current: () => schema.current(), plugins: [], close: () => {} };
  }
  const { mergeApis, parseMergeFlag } = await import("../gateway/merge/index.ts");
  try {
    const merged = await mergeApis(() => schema.current(), merge.map(parseMergeFlag));
    for (const [url, state] of Object.entries(merged.status())) {
      process.stderr.write(
        state === "available"
          ? `Merged ${url}\n`
          : `⚠ ${url} is unavailable; serving without it and retrying in the background\n`,
      );
    }
    return merged;
  } catch (error) {
    fail((error as Error).message);
  }
}
