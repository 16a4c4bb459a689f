/**
 * Request targets Node's HTTP parser lets through but the URL parser refuses (`//[`: a
 * protocol-relative URL whose host is no host), sent over a raw TCP socket to the backend's
 * deployment port: as a WebSocket upgrade (where an uncaught throw would end the process, and
 * with it every other client) and as plain requests. Each gets a 400 naming the URL, and a
 * ConvexClient subscribed beside them keeps receiving its updates.
 */
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startTestBackend, type TestBackend } from "../utils/backend.ts";
import { eventually, step } from "../utils/waits.ts";
import { rawExchange } from "../utils/raw_tcp.ts";

const bump = makeFunctionReference<"mutation", { name: string }, number>("probe:bump");
const counter = makeFunctionReference<"query", { name: string }, number>("probe:counter");

const upgradeHead = (target: string): string =>
  `GET ${target} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

const requestHead = (method: string, target: string): string =>
  `${method} ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`;

let backend: TestBackend;
let client: ConvexClient;
const seen: number[] = [];

beforeAll(async () => {
  backend = await startTestBackend({ dir: `${REPO_ROOT}/test/fixtures/hostile_app` });
  client = new ConvexClient(backend.url);
  client.onUpdate(counter, { name: "targets" }, (value) => seen.push(value));
  await eventually(() => seen.length > 0, "the watchdog's first result");
});

afterAll(async () => {
  await client.close();
  await backend[Symbol.asyncDispose]();
});

/** A commit reaches the subscribed client: the backend is alive and its sync loop runs. */
async function expectWatchdogUpdates(): Promise<void> {
  const value = await step(client.mutation(bump, { name: "targets" }));
  await eventually(() => seen.at(-1) === value, `the watchdog to see ${value}`);
}

describe("a request target the URL parser refuses", () => {
  it("as a WebSocket upgrade: 400, and the backend serves on", async () => {
    for (const target of ["//[", "//a b/api/sync", "//[::1/api/1.48.0/sync"]) {
      const answer = await rawExchange(backend.url, upgradeHead(target));
      expect(answer, target).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    }
    await expectWatchdogUpdates();
  });

  it("as a plain request: 400 BadRequest naming the URL, on every route family", async () => {
    for (const [method, target] of [
      ["GET", "//["],
      ["POST", "//[/api/query"],
      ["GET", "//[/api/storage/x"],
      ["POST", "//[/api/run/probe/counter"],
    ] as const) {
      const answer = await rawExchange(backend.url, requestHead(method, target));
      expect(answer, target).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as {
        code: string;
        message: string;
      };
      expect(body).toEqual({
        code: "BadRequest",
        message: `Invalid request URL: ${JSON.stringify(target)}.`,
      });
    }
    await expectWatchdogUpdates();
  });
});
