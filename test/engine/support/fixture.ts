/**
 * Shared helpers for the engine's behavioural tests: a real backend on port 0 serving the
 * edge-case app (`test/fixtures/engine_app`) or the example app, the official `ConvexHttpClient`
 * pointed at it, typed references to the fixture's functions, and raw HTTP for malformed requests.
 */
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import {
  makeFunctionReference,
  type FunctionReference,
  type FunctionType,
  type PaginationOptions,
  type PaginationResult,
} from "convex/server";
import type { GenericId, Value } from "convex/values";
import { expect } from "vitest";
import { REPO_ROOT, startTestBackend, tempDir, type TestBackend } from "../../utils/backend.ts";
import { STEP_MS, within } from "../../utils/waits.ts";

/** The edge-case app: the folder holding its `convex/`. */
export const FIXTURE_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "engine_app");

export type Order = "asc" | "desc";

export type ItemFields = {
  group: string;
  rank: number;
  label: string;
  meta?: { size: number; color?: string };
  note?: string;
};

export type ItemDoc = ItemFields & { _id: GenericId<"items">; _creationTime: number };

type Ref<Type extends FunctionType, Args, Returns> = FunctionReference<
  Type,
  "public",
  Args & Record<string, unknown>,
  Returns
>;

function query<Args, Returns>(name: string): Ref<"query", Args, Returns> {
  return makeFunctionReference<"query", Args & Record<string, unknown>, Returns>(name);
}

function mutation<Args, Returns>(name: string): Ref<"mutation", Args, Returns> {
  return makeFunctionReference<"mutation", Args & Record<string, unknown>, Returns>(name);
}

type Empty = Record<string, never>;

/** The fixture app's functions, typed as the client sees them. */
export const fixture = {
  items: {
    insert: mutation<ItemFields, GenericId<"items">>("items:insert"),
    insertMany: mutation<{ items: ItemFields[] }, GenericId<"items">[]>("items:insertMany"),
    get: query<{ id: GenericId<"items"> }, ItemDoc | null>("items:get"),
    patch: mutation<
      { id: GenericId<"items">; set?: Partial<ItemFields>; unset?: ("meta" | "note")[] },
      null
    >("items:patch"),
    replace: mutation<{ id: GenericId<"items">; value: ItemFields }, null>("items:replace"),
    remove: mutation<{ id: GenericId<"items"> }, null>("items:remove"),
    range: query<
      {
        group: string;
        lower?: { op: "gt" | "gte"; value: number };
        upper?: { op: "lt" | "lte"; value: number };
        order: Order;
      },
      string[]
    >("items:range"),
    byCreationTime: query<{ order: Order; after?: number; limit?: number }, string[]>(
      "items:byCreationTime",
    ),
    scan: query<{ order: Order }, string[]>("items:scan"),
    creationTimes: query<Empty, { label: string; _creationTime: number }[]>("items:creationTimes"),
    filtered: query<{ group: string; which: string }, string[]>("items:filtered"),
    takeFirstCollect: query<
      { group: string; n: number; order: Order },
      { take: string[]; first: string | null; count: number }
    >("items:takeFirstCollect"),
    uniqueByRank: query<{ group: string; rank: number }, string | null>("items:uniqueByRank"),
    page: query<
      { group: string; evenOnly: boolean; order: Order; paginationOpts: PaginationOptions },
      PaginationResult<number>
    >("items:page"),
  },
  values: {
    echo: query<{ value: Value }, Value>("values:echo"),
    store: mutation<{ label: string; value: Value }, GenericId<"values">>("values:store"),
    load: query<{ id: GenericId<"values"> }, { value: Value; label: string } | null>("values:load"),
    findByValue: query<{ value: Value }, string[]>("values:findByValue"),
    inValueOrder: query<Empty, string[]>("values:inValueOrder"),
    storeTyped: mutation<TypedFields, GenericId<"typed">>("values:storeTyped"),
    loadTyped: query<{ id: GenericId<"typed"> }, TypedFields | null>("values:loadTyped"),
    compare: query<{ op: "gt" | "gte" | "lt" | "lte"; value: Value }, string[]>("values:compare"),
  },
  checks: {
    count: query<{ table: "items" | "values" | "typed" | "strict" | "journal" }, number>(
      "checks:count",
    ),
    journal: query<Empty, string[]>("checks:journal"),
  },
  determinism: {
    clock: query<
      Empty,
      { now1: number; now2: number; date: number; random1: number; random2: number }
    >("determinism:clock"),
  },
};

export type TypedFields = {
  count: bigint;
  data: ArrayBuffer;
  ratio: number;
  nested: { tags: string[]; inner: { n: bigint } }[];
};

/** A reference to any function by name, untyped: for calls that are meant to fail. */
export function anyQuery(name: string): Ref<"query", Record<string, unknown>, unknown> {
  return query<Record<string, unknown>, unknown>(name);
}

/** A reference to any function by name, untyped: for calls that are meant to fail. */
export function anyMutation(name: string): Ref<"mutation", Record<string, unknown>, unknown> {
  return mutation<Record<string, unknown>, unknown>(name);
}

/** A backend on port 0 plus a client for it; the data file lives in a temp folder removed on dispose. */
export interface Served extends AsyncDisposable {
  readonly backend: TestBackend;
  readonly client: ConvexHttpClient;
  readonly url: string;
}

/**
 * Starts a backend for `dir` (default: the fixture app) with a fresh data file.
 * `log` receives the engine's progress and problem lines (default: dropped).
 */
export async function serve(
  options: { dir?: string; dataFile?: string; log?: (line: string) => void } = {},
): Promise<Served> {
  const folder = tempDir("convex-graphql-engine-");
  const backend = await within(
    startTestBackend({
      dir: options.dir ?? FIXTURE_APP_DIR,
      dataFile: options.dataFile ?? path.join(folder.path, "data.sqlite3"),
      ...(options.log !== undefined ? { log: options.log } : {}),
    }),
    20_000,
    "the backend to start",
  );
  return {
    backend,
    client: newClient(backend.url),
    url: backend.url,
    async [Symbol.asyncDispose]() {
      await backend.close();
      await folder[Symbol.asyncDispose]();
    },
  };
}

/** The official HTTP client, quiet (function log lines are not printed). */
export function newClient(url: string): ConvexHttpClient {
  return new ConvexHttpClient(url, { logger: false });
}

/** The error `promise` rejects with (fails the test if it resolves or times out). */
export async function failure(
  promise: Promise<unknown>,
  what = "a failing request",
): Promise<Error> {
  const outcome = await within(
    promise.then(
      (value: unknown) => ({ resolved: true as const, value }),
      (error: unknown) => ({ resolved: false as const, error }),
    ),
    STEP_MS,
    what,
  );
  if (outcome.resolved) {
    expect.fail(`Expected ${what} to fail, but it returned ${JSON.stringify(outcome.value)}`);
  }
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error;
}

/** An HTTP response: status, headers and the body parsed as JSON (or null when it is not JSON). */
export interface RawResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly json: Record<string, unknown> | null;
}

/** Sends one raw request to the backend (`body` is sent as is when it is a string). */
export async function raw(
  url: string,
  route: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const body =
    init.body === undefined
      ? undefined
      : typeof init.body === "string"
        ? init.body
        : JSON.stringify(init.body);
  const response = await within(
    fetch(`${url}${route}`, {
      method: init.method ?? "POST",
      headers: { "content-type": "application/json", ...init.headers },
      ...(body !== undefined ? { body } : {}),
    }),
    STEP_MS,
    `${init.method ?? "POST"} ${route}`,
  );
  const text = await within(response.text(), STEP_MS, `the body of ${route}`);
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: response.status, contentType: response.headers.get("content-type"), text, json };
}

/** Decodes a `/api/query_ts` timestamp: base64 of a u64, little-endian. */
export function decodeTs(encoded: unknown): bigint {
  expect(typeof encoded).toBe("string");
  const bytes = Buffer.from(encoded as string, "base64");
  expect(bytes.length).toBe(8);
  return bytes.readBigUInt64LE(0);
}

/** The latest commit timestamp the backend publishes (`POST /api/query_ts`). */
export async function queryTs(url: string): Promise<bigint> {
  const response = await raw(url, "/api/query_ts");
  expect(response.status).toBe(200);
  return decodeTs(response.json?.["ts"]);
}

export { REPO_ROOT };
