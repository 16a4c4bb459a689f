/**
 * The gateway's operations endpoints, over real HTTP against a real backend (the auth fixture app
 * and a local JWT issuer):
 * - `/metrics` is Prometheus text whose counters and gauges move with a subscription and a
 *   mutation, and which never shows a token or a user's subject, whatever the traffic;
 * - every GraphQL response carries a request id (the caller's, when plausible);
 * - `/healthz` is always 200; `/readyz` is 200 with the backend up, 503 while it is down, and
 *   200 again once it is restarted on the same data file and port.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { startTestIssuer, type TestIssuer } from "../utils/jwt_issuer.ts";
import {
  data,
  post,
  record,
  request,
  startTestGateway,
  wsClient,
  type TestGateway,
} from "./support/gateway.ts";
import { metricValue, scrapeUntil } from "../utils/metrics.ts";
import { pino } from "pino";
import { STEP_MS, within } from "../utils/waits.ts";

const AUTH_APP_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "fixtures",
  "auth_app",
);
const MY_NOTES = "subscription MyNotes { notesMine }";
const ADD_NOTE = "mutation Add($body: String!) { notesAdd(body: $body) }";
const SUBJECT = "operator-secret-subject-7f3a";

let issuer: TestIssuer;
let backend: TestBackend;
let gateway: TestGateway;
/** What the backend logged (at debug: each HTTP request, with its X-Request-Id). */
const backendLog: Record<string, unknown>[] = [];
const backendLogger = pino(
  { level: "debug" },
  { write: (line: string) => void backendLog.push(JSON.parse(line) as Record<string, unknown>) },
);

beforeAll(async () => {
  issuer = await within(startTestIssuer(), STEP_MS, "the issuer to start");
  backend = await within(
    startTestBackend({
      dir: AUTH_APP_DIR,
      env: { TEST_JWT_ISSUER: issuer.url },
      logger: backendLogger,
    }),
    30_000,
    "the backend to start",
  );
  gateway = await startTestGateway(backend.url, { dir: AUTH_APP_DIR });
});

afterAll(async () => {
  await within(gateway?.close() ?? Promise.resolve(), STEP_MS, "the gateway to close");
  await within(backend?.close() ?? Promise.resolve(), STEP_MS, "the backend to close");
  await within(Promise.resolve(issuer?.[Symbol.asyncDispose]()), STEP_MS, "the issuer to stop");
});

function origin(): string {
  return new URL(gateway.url).origin;
}

async function metrics(): Promise<string> {
  const answer = await request(`${origin()}/metrics`, {}, "GET /metrics");
  expect(answer.status).toBe(200);
  expect(answer.contentType).toMatch(/^text\/plain/);
  return answer.text;
}

describe("/metrics", () => {
  it("moves with a subscription and a mutation, and never shows a token or a subject", async () => {
    const token = await within(
      issuer.token(SUBJECT, { name: "Secret Name", email: "secret@example.com" }),
      STEP_MS,
      "a token",
    );
    const before = await metrics();
    const mutationsBefore = metricValue(before, "gateway_operations_total", {
      type: "mutation",
      outcome: "ok",
    });
    const fanoutsBefore = metricValue(before, "gateway_fanout_duration_seconds_count");

    await using client = wsClient(gateway.url, {
      connectionParams: { authorization: `Bearer ${token}` },
    });
    using notes = record(client, { query: MY_NOTES });
    expect((await notes.next("the first result")).data).toEqual({ notesMine: [] });

    const during = await metrics();
    expect(metricValue(during, "gateway_live_operations")).toBe(1);
    expect(metricValue(during, "gateway_live_subscribers")).toBe(1);
    expect(metricValue(during, "gateway_graphql_ws_connections")).toBe(1);
    expect(metricValue(during, "gateway_upstream_connections", { identity: "authenticated" })).toBe(
      1,
    );
    expect(
      metricValue(during, "gateway_upstream_subscriptions", { identity: "authenticated" }),
    ).toBe(1);

    const added = await data(
      gateway.url,
      ADD_NOTE,
      { body: "secret note body" },
      { authorization: `Bearer ${token}` },
    );
    expect(typeof added["notesAdd"]).toBe("string");
    expect((await notes.next("the note")).data).toEqual({ notesMine: ["secret note body"] });

    // A fan-out is recorded once its last subscriber was served: wait for the second one.
    const after = await scrapeUntil(
      `${origin()}/metrics`,
      (text) => metricValue(text, "gateway_fanout_duration_seconds_count") >= fanoutsBefore + 2,
      "the second fan-out in /metrics",
    );
    expect(
      metricValue(after, "gateway_operations_total", { type: "mutation", outcome: "ok" }),
    ).toBe(mutationsBefore + 1);
    // The first result and the one after the mutation.
    expect(metricValue(after, "gateway_fanout_duration_seconds_count")).toBeGreaterThanOrEqual(
      fanoutsBefore + 2,
    );
    expect(metricValue(after, "gateway_live_execution_duration_seconds_count")).toBeGreaterThan(0);
    expect(
      metricValue(after, "gateway_operation_duration_seconds_count", { type: "mutation" }),
    ).toBeGreaterThan(0);
    expect(metricValue(after, "process_resident_memory_bytes")).toBeGreaterThan(0);

    // Nothing that identifies the caller, in any metric (its name, label or value).
    for (const text of [before, during, after]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split(".")[1] ?? token);
      expect(text).not.toContain(SUBJECT);
      expect(text).not.toContain("Secret Name");
      expect(text).not.toContain("secret@example.com");
      expect(text).not.toContain("secret note body");
    }
  });
});

describe("request ids", () => {
  it("answers each request with an id, keeping a plausible one the caller sent", async () => {
    const first = await fetchWithHeaders({});
    const second = await fetchWithHeaders({});
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);
    expect(await fetchWithHeaders({ "x-request-id": "trace-123.abc" })).toBe("trace-123.abc");
    // An implausible one (spaces, too long) is replaced.
    const replaced = await fetchWithHeaders({ "x-request-id": "a b" });
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sends the id upstream on the gateway's HTTP calls to Convex", async () => {
    // The first read of an identity (a new token) goes over HTTP: it has no session yet.
    const token = await within(issuer.token("request-id-subject"), STEP_MS, "a token");
    const id = await fetchWithHeaders({
      "x-request-id": "upstream-7",
      authorization: `Bearer ${token}`,
    });
    expect(id).toBe("upstream-7");
    expect(backendLog).toContainEqual(
      expect.objectContaining({ requestId: "upstream-7", path: "/api/query" }),
    );
  });
});

describe("several gateways in one process", () => {
  it("keep their metrics apart", async () => {
    await using other = await startTestGateway(backend.url, { dir: AUTH_APP_DIR });
    await data(gateway.url, "{ identityWhoami }");
    const mine = await metrics();
    const answer = await request(`${new URL(other.url).origin}/metrics`, {}, "the other /metrics");
    expect(
      metricValue(mine, "gateway_operations_total", { type: "query", outcome: "ok" }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(answer.text, "gateway_operations_total", { type: "query", outcome: "ok" }),
    ).toBe(0);
  });
});

async function fetchWithHeaders(headers: Record<string, string>): Promise<string | null> {
  const response = await within(
    fetch(gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query: "{ identityWhoami }" }),
    }),
    STEP_MS,
    "a GraphQL request",
  );
  await within(response.text(), STEP_MS, "its body");
  return response.headers.get("x-request-id");
}

describe("/healthz and /readyz", () => {
  it("are 200 with the backend up, /readyz 503 while it is down and 200 once it is back", async () => {
    const health = await request(`${origin()}/healthz`, {}, "GET /healthz");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: "ok" });
    expect((await request(`${origin()}/readyz`, {}, "GET /readyz")).status).toBe(200);

    const { port, dataFile } = backend;
    await within(backend.close(), STEP_MS, "the backend to close");
    const down = await request(`${origin()}/readyz`, {}, "GET /readyz during the outage");
    expect(down.status).toBe(503);
    const body = JSON.parse(down.text) as {
      status: string;
      checks: Record<string, { ok: boolean }>;
    };
    expect(body.status).toBe("unavailable");
    expect(body.checks["upstream"]?.ok).toBe(false);
    expect(body.checks["schema"]?.ok).toBe(true);
    // Still alive.
    expect((await request(`${origin()}/healthz`, {}, "GET /healthz")).status).toBe(200);

    backend = await within(
      startTestBackend({ dir: AUTH_APP_DIR, env: { TEST_JWT_ISSUER: issuer.url }, port, dataFile }),
      30_000,
      "the backend to restart",
    );
    const up = await request(`${origin()}/readyz`, {}, "GET /readyz after the restart");
    expect(up.status).toBe(200);
    // And it serves again.
    const answer = await post(gateway.url, { query: "{ identityWhoami }" });
    expect(answer.json()).toEqual({ data: { identityWhoami: null } });
  });

  it("refuses other methods on the operations paths", async () => {
    const answer = await request(`${origin()}/metrics`, { method: "POST" }, "POST /metrics");
    expect(answer.status).toBe(405);
  });
});
