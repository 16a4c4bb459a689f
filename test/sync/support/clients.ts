/**
 * The official clients as sync tests use them: `ConvexClient` (WebSocket) as a disposable
 * resource, `record`, which feeds one `onUpdate` subscription to the shared recorder, and typed references
 * to the example app's and the auth fixture app's functions.
 */
import path from "node:path";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import {
  makeFunctionReference,
  type FunctionArgs,
  type FunctionReference,
  type FunctionReturnType,
  type UserIdentity,
} from "convex/server";
import type { GenericId } from "convex/values";
import { api } from "../../../convex/_generated/api.js";
import type { BackendOptions } from "../../../engine/index.ts";
import { REPO_ROOT, startTestBackend, tempDir, type TestBackend } from "../../utils/backend.ts";
import { Recorder } from "../../utils/recorder.ts";
import { within } from "../../utils/waits.ts";

/** The auth fixture app (the folder holding its `convex/`). */
export const AUTH_APP_DIR = path.join(REPO_ROOT, "test", "sync", "fixtures", "auth_app");

/** The example app's functions, from its generated api. */
export const { orders, counters } = api;

type Empty = Record<string, never>;

/** The auth fixture app's functions. */
export const users = {
  whoami: makeFunctionReference<"query", Empty, UserIdentity | null>("users:whoami"),
  store: makeFunctionReference<
    "mutation",
    Empty,
    { id: GenericId<"users">; tokenIdentifier: string }
  >("users:store"),
  currentName: makeFunctionReference<"query", Empty, string | null>("users:currentName"),
  count: makeFunctionReference<"query", Empty, number>("users:count"),
};

/**
 * A backend on 127.0.0.1:0 (default: the example app) whose data file (unless `dataFile` names
 * one) lives in a temp folder that is removed, with the backend closed, on dispose.
 */
export async function serve(options: Partial<BackendOptions> = {}): Promise<TestBackend> {
  const folder = tempDir("convex-graphql-sync-");
  const backend = await within(
    startTestBackend({
      ...options,
      dataFile: options.dataFile ?? path.join(folder.path, "data.sqlite3"),
    }),
    20_000,
    "the backend to start",
  );
  return Object.assign(backend, {
    async [Symbol.asyncDispose]() {
      await backend.close();
      await folder[Symbol.asyncDispose]();
    },
  });
}

export type SyncClient = ConvexClient & AsyncDisposable;

/** A quiet `ConvexClient` for `url`, closed on dispose. */
export function syncClient(url: string): SyncClient {
  const client = new ConvexClient(url, { logger: false });
  return Object.assign(client, {
    async [Symbol.asyncDispose]() {
      await client.close();
    },
  });
}

/** A quiet `ConvexHttpClient` for `url`. */
export function httpClient(url: string): ConvexHttpClient {
  return new ConvexHttpClient(url, { logger: false });
}

/** Subscribes with `client.onUpdate` and records what arrives. */
export function record<Query extends FunctionReference<"query">>(
  client: ConvexClient,
  query: Query,
  args: FunctionArgs<Query>,
): Recorder<FunctionReturnType<Query>> {
  return new Recorder<FunctionReturnType<Query>>((sink) =>
    client.onUpdate(query, args, sink.value, sink.error),
  );
}
