/**
 * `--merge URL`: existing GraphQL APIs served beside the Convex app on one endpoint. Takes the
 * Convex schema (a function: it changes when the functions do) and returns the served schema,
 * rebuilt when the Convex schema or a merged API changes, plus the Yoga plugins merging needs
 * (appended to the gateway's own; see plugins.ts). Start-up never waits for an API that is down.
 */
import type { GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";
import { combine, MergeConflictError, type MergedSubscriptionFields } from "./combine.ts";
import { MergedApi, type MergedApiOptions, type MergedApiTiming } from "./merged_api.ts";
import { mergedSubscriptionsPlugin, unavailableFieldsPlugin } from "./plugins.ts";

export { MergeConflictError, prefixedField, prefixedType } from "./combine.ts";
export {
  MERGED_API_UNAVAILABLE,
  type MergedApiOptions,
  type MergedApiTiming,
} from "./merged_api.ts";

export interface MergedSchema {
  /** The served schema now (the same object until something changes). */
  current(): GraphQLSchema;
  /** Yoga plugins to run after the gateway's own (`GatewayOptions.plugins`). */
  readonly plugins: readonly Plugin[];
  /** Each API's state, by URL (`loading`, `available`, `unavailable`). */
  status(): Record<string, string>;
  /** Stops background retries. */
  close(): void;
}

/** `legacy=http://...` -> prefix `legacy`; a plain URL has none. Throws on a bad value. */
export function parseMergeFlag(value: string): MergedApiOptions {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(value);
  const url = match?.[2] ?? value;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
  } catch {
    throw new Error(`--merge needs an http(s) URL or PREFIX=URL, got "${value}"`);
  }
  return match?.[1] === undefined ? { url } : { url, prefix: match[1] };
}

/**
 * Introspects every API (those that answer are merged at once; the others are retried in the
 * background) and checks names. Rejects with MergeConflictError when names clash.
 */
export async function mergeApis(
  convex: () => GraphQLSchema,
  options: readonly MergedApiOptions[],
  timing: MergedApiTiming = {},
  /** Told when a later rebuild fails (a name clash after a change): the previous schema stays. */
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<MergedSchema> {
  let version = 0;
  const apis = options.map((api) => new MergedApi(api, timing, () => version++));
  await Promise.all(apis.map((api) => api.load()));
  let built: {
    convex: GraphQLSchema;
    version: number;
    schema: GraphQLSchema;
    subscriptions: MergedSubscriptionFields;
  } | null = null;
  const build = () => {
    const base = convex();
    if (built !== null && built.convex === base && built.version === version) return built;
    const at = version;
    try {
      const { schema, mergedSubscriptions } = combine(base, apis);
      built = { convex: base, version: at, schema, subscriptions: mergedSubscriptions };
    } catch (error) {
      // At start the clash is the caller's to report; later, serving goes on as it was.
      if (built === null || !(error instanceof MergeConflictError)) throw error;
      log(`✖ Merged schema not updated: ${error.message}`);
      built = { ...built, convex: base, version: at };
    }
    return built;
  };
  build();
  return {
    current: () => build().schema,
    plugins: [
      mergedSubscriptionsPlugin(() => build().subscriptions),
      unavailableFieldsPlugin(apis),
    ],
    status: () => Object.fromEntries(apis.map((api) => [api.options.url, api.state.kind])),
    close: () => apis.forEach((api) => api.close()),
  };
}
