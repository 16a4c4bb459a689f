/**
 * The gateway as its tests use it: a gateway on 127.0.0.1:0 in front of a test backend,
 * disposable with `await using`; GraphQL over HTTP with `fetch`; a graphql-ws client given `ws`;
 * and `record`, which feeds a graphql-ws subscription to the shared recorder (test/utils).
 */
import { createClient, type Client, type ClientOptions, type SubscribePayload } from "graphql-ws";
import WebSocket from "ws";
import { appSchemaOfDir } from "../../../cli/app_description.ts";
import {
  startGateway,
  type AppSchema,
  type Gateway,
  type GatewayOptions,
} from "../../../gateway/index.ts";
import { afterAll, afterEach, beforeAll } from "vitest";
import { REPO_ROOT, startTestBackend, type TestBackend } from "../../utils/backend.ts";
import { Recorder } from "../../utils/recorder.ts";
import { eventually, STEP_MS, within } from "../../utils/waits.ts";

/** A GraphQL result as it arrives on the wire. */
export interface WireResult {
  data?: Record<string, unknown> | null;
  errors?: WireError[];
  extensions?: Record<string, unknown>;
}

export interface WireError {
  message: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: Record<string, unknown> & { code?: string; data?: unknown };
}

const schemas = new Map<string, Promise<AppSchema>>();

/** The derived schema of the app in `dir` (default: the example app), derived once per worker. */
export function appSchemaOf(dir: string = REPO_ROOT): Promise<AppSchema> {
  let schema = schemas.get(dir);
  if (schema === undefined) {
    schema = appSchemaOfDir(dir, { log: () => {} });
    schemas.set(dir, schema);
  }
  return schema;
}

export type TestGateway = Gateway & AsyncDisposable;

/**
 * Starts a gateway on 127.0.0.1:0 for `convexUrl`, serving the derived schema of the app in
 * `dir` (default: the example app), in dev mode unless told otherwise.
 */
export async function startTestGateway(
  convexUrl: string,
  options: Partial<GatewayOptions> & { dir?: string } = {},
): Promise<TestGateway> {
  const { dir, ...rest } = options;
  const appSchema = await appSchemaOf(dir);
  const gateway = await within(
    startGateway({ convexUrl, schema: () => appSchema.current(), port: 0, dev: true, ...rest }),
    STEP_MS,
    "the gateway to start",
  );
  return Object.assign(gateway, {
    async [Symbol.asyncDispose]() {
      await gateway.close();
    },
  });
}

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json(): WireResult;
}

async function answer(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    text,
    json: () => JSON.parse(text) as WireResult,
  };
}

/** A raw request to the gateway, bounded. */
export async function request(url: string, init: RequestInit, what: string): Promise<HttpAnswer> {
  return within(fetch(url, init).then(answer), STEP_MS, what);
}

/** POSTs a GraphQL operation as JSON (the GraphQL-over-HTTP media type for the answer). */
export async function post(
  url: string,
  body: {
    query?: string;
    variables?: Record<string, unknown>;
    operationName?: string;
    extensions?: Record<string, unknown>;
  },
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return request(
    url,
    {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        ...headers,
      },
      body: JSON.stringify(body),
    },
    `POST ${(body.query ?? JSON.stringify(body.extensions)).slice(0, 60)}`,
  );
}

/** Sends a GraphQL query as GET (with the CSRF preflight header Yoga asks of GETs). */
export async function get(
  url: string,
  params: { query: string; variables?: Record<string, unknown>; operationName?: string },
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const search = new URLSearchParams({ query: params.query });
  if (params.variables !== undefined) search.set("variables", JSON.stringify(params.variables));
  if (params.operationName !== undefined) search.set("operationName", params.operationName);
  return request(
    `${url}?${search.toString()}`,
    {
      headers: {
        accept: "application/graphql-response+json, application/json",
        "x-graphql-yoga-csrf": "1",
        ...headers,
      },
    },
    `GET ${params.query.slice(0, 60)}`,
  );
}

/** POSTs an operation and returns its `data`, failing on any error. */
export async function data(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<Record<string, unknown>> {
  const result = await post(
    url,
    variables === undefined ? { query } : { query, variables },
    headers,
  );
  const body = result.json();
  if (result.status !== 200 || body.errors !== undefined || body.data == null) {
    throw new Error(`${query.slice(0, 60)} failed: HTTP ${result.status} ${result.text}`);
  }
  return body.data;
}

export type WsClient = Client &
  AsyncDisposable & {
    /** Close events the socket saw, in order (code and reason). */
    readonly closes: readonly { code: number; reason: string }[];
  };

/** Converts `http://…/graphql` to `ws://…/graphql`. */
export function wsUrl(url: string): string {
  return url.replace(/^http/, "ws");
}

/** A graphql-ws client for the gateway at `url` (http or ws), disposed on dispose. */
export function wsClient(url: string, options: Partial<ClientOptions> = {}): WsClient {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: wsUrl(url),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    ...options,
    on: {
      ...options.on,
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
    },
  });
  return Object.assign(client, {
    closes,
    async [Symbol.asyncDispose]() {
      await client.dispose();
    },
  });
}

/** Starts recording a subscription (or an `@live` query) over graphql-ws. */
export function record(client: Client, payload: SubscribePayload): Recorder<WireResult> {
  return new Recorder<WireResult>((sink) =>
    client.subscribe<Record<string, unknown>>(payload, {
      next: (result) => sink.value(result as WireResult),
      error: (error) => sink.error(error),
      complete: () => sink.complete(),
    }),
  );
}

/** One backend and one gateway shared by a test file's tests (see `useSharedServers`). */
export interface SharedServers {
  readonly backend: TestBackend;
  readonly gateway: TestGateway;
}

/**
 * Registers the hooks that start a backend (the example app) and a gateway in front of it before
 * the file's tests and close them after. With `expectReleasedAfterEach`, every test must leave
 * nothing live behind: no live operation and no upstream subscription.
 */
export function useSharedServers(
  options: {
    gateway?: Partial<GatewayOptions>;
    expectReleasedAfterEach?: boolean;
    /** The app both serve. @default the example app */
    dir?: string;
    /** The deployment's environment variables. */
    env?: Readonly<Record<string, string>>;
  } = {},
): SharedServers {
  const servers: { backend?: TestBackend; gateway?: TestGateway } = {};
  beforeAll(async () => {
    const dir = options.dir ?? REPO_ROOT;
    servers.backend = await startTestBackend({ dir, ...(options.env ? { env: options.env } : {}) });
    servers.gateway = await startTestGateway(servers.backend.url, { dir, ...options.gateway });
  }, 120_000); // a cold inference of a fixture app on a clean machine
  afterAll(async () => {
    await servers.gateway?.close();
    await servers.backend?.close();
  });
  if (options.expectReleasedAfterEach === true) {
    afterEach(async () => {
      await eventually(
        () => servers.gateway?.live.size === 0 && servers.gateway.upstream.subscriptionCount === 0,
        "everything to be released after the test",
      );
    });
  }
  return {
    get backend(): TestBackend {
      if (servers.backend === undefined) throw new Error("the shared backend is not started yet");
      return servers.backend;
    },
    get gateway(): TestGateway {
      if (servers.gateway === undefined) throw new Error("the shared gateway is not started yet");
      return servers.gateway;
    },
  };
}
