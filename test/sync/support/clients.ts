/**
 * The official clients as sync tests use them: `ConvexClient` (WebSocket) as a disposable
 * resource, a recorder of everything one `onUpdate` subscription delivers, and typed references
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
import type { BackendOptions } from "../../../engine/index.ts";
import {
  REPO_ROOT,
  startTestBackend,
  tempDir,
  within,
  type TestBackend,
} from "../../utils/backend.ts";

/** Bound for one request or one awaited delivery from the local backend, in ms. */
export const STEP_MS = 5_000;

/** The auth fixture app (the folder holding its `convex/`). */
export const AUTH_APP_DIR = path.join(REPO_ROOT, "test", "sync", "fixtures", "auth_app");

export type OrderStatus = "placed" | "preparing" | "ready" | "served";

export interface Order {
  _id: GenericId<"orders">;
  _creationTime: number;
  dish: string;
  table: number;
  status: OrderStatus;
  notes?: string;
  createdAt: number;
}

/** The example app's functions used here. */
export const orders = {
  placeOrder: makeFunctionReference<
    "mutation",
    { dish: string; table: number; notes?: string },
    GenericId<"orders">
  >("orders:placeOrder"),
  getOrdersByTable: makeFunctionReference<"query", { table: number }, Order[]>(
    "orders:getOrdersByTable",
  ),
};

export const counters = {
  increment: makeFunctionReference<"mutation", { name: string }, number>("counters:increment"),
  get: makeFunctionReference<"query", { name: string }, number>("counters:get"),
};

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

/** Awaits `promise`, bounded by {@link STEP_MS}. */
export async function step<T>(promise: Promise<T>, what: string, ms = STEP_MS): Promise<T> {
  return within(promise, ms, what);
}

/** Resolves once `condition` holds, checking every 10 ms, bounded by `ms`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  ms = STEP_MS,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Every value (and error) one `client.onUpdate` subscription delivered, in order, with bounded
 * waits for the next ones.
 */
export class Deliveries<T> implements Disposable {
  readonly values: T[] = [];
  readonly errors: Error[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(
    subscribe: (onValue: (value: T) => void, onError: (error: Error) => void) => () => void,
  ) {
    this.unsubscribe = subscribe(
      (value) => {
        this.values.push(value);
        this.notify();
      },
      (error) => {
        this.errors.push(error);
        this.notify();
      },
    );
  }

  /** Deliveries so far (values and errors). */
  get count(): number {
    return this.values.length + this.errors.length;
  }

  /** The latest value; fails when nothing was delivered yet. */
  get latest(): T {
    if (this.values.length === 0) throw new Error("No value was delivered yet.");
    return this.values[this.values.length - 1] as T;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves once `condition` holds (checked now and after every delivery). */
  async until(condition: () => boolean, what: string, ms = STEP_MS): Promise<void> {
    let listener: (() => void) | undefined;
    try {
      await within(
        new Promise<void>((resolve) => {
          listener = () => {
            if (condition()) resolve();
          };
          this.listeners.add(listener);
          listener();
        }),
        ms,
        what,
      );
    } finally {
      if (listener !== undefined) this.listeners.delete(listener);
    }
  }

  /** Resolves with the first delivered value (past or future) that satisfies `predicate`. */
  async value(predicate: (value: T) => boolean, what: string, ms = STEP_MS): Promise<T> {
    let found: T | undefined;
    await this.until(
      () => {
        found = this.values.find(predicate);
        return found !== undefined;
      },
      what,
      ms,
    );
    return found as T;
  }

  /** Resolves once `n` values were delivered in all. */
  async atLeast(n: number, what: string, ms = STEP_MS): Promise<T[]> {
    await this.until(() => this.values.length >= n, what, ms);
    return this.values;
  }

  [Symbol.dispose](): void {
    this.unsubscribe();
  }
}

/** Subscribes with `client.onUpdate` and records what arrives. */
export function record<Query extends FunctionReference<"query">>(
  client: ConvexClient,
  query: Query,
  args: FunctionArgs<Query>,
): Deliveries<FunctionReturnType<Query>> {
  return new Deliveries<FunctionReturnType<Query>>((onValue, onError) =>
    client.onUpdate(query, args, onValue, onError),
  );
}
