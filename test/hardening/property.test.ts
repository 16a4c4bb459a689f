/**
 * Property tests over generated hostile input (fast-check; the seed is printed, and a failure
 * prints its counterexample and the seed to replay it):
 * - GraphQL documents built from GraphQL's own tokens, strings, deep nesting and fragment chains,
 *   sent over HTTP and over one graphql-ws socket: never a 5xx, never a socket closed;
 * - sync-protocol frames of every message type with arbitrary and deeply nested fields, sent
 *   after a Connect: never a 1011 (internal error), never an InternalServerError.
 * Throughout, a watchdog on other connections (a `ConvexClient` on the backend and a graphql-ws
 * subscription through the gateway) follows a counter bumped every 50 ms, and must keep
 * receiving its updates: no input stalls the servers for everyone else.
 */
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../utils/backend.ts";
import { fragmentChain, nestedJsonText, nestedSelections } from "../utils/hostile_documents.ts";
import {
  record,
  useSharedServers,
  wsClient,
  type WireResult,
  type WsClient,
} from "../gateway/support/gateway.ts";
import { RawSyncSocket } from "../sync/support/raw_socket.ts";
import { record as recordUpdates } from "../sync/support/clients.ts";
import { delay, eventually, STEP_MS, within } from "../utils/waits.ts";
import type { Recorder } from "../utils/recorder.ts";

const servers = useSharedServers({ dir: `${REPO_ROOT}/test/fixtures/hostile_app` });

const counter = makeFunctionReference<"query", { name: string }, number>("probe:counter");
const bump = makeFunctionReference<"mutation", { name: string }, number>("probe:bump");
const SEED = Number(process.env["HOSTILE_SEED"] ?? Date.now() % 1_000_000);

/** Follows the counter from both sides while the properties run. */
class Watchdog {
  private readonly convexUpdates: Recorder<number>;
  private bumper: NodeJS.Timeout | null = null;
  private lastBump = 0;

  constructor(
    private readonly convex: ConvexClient,
    private readonly http: ConvexHttpClient,
    readonly graphql: Recorder<WireResult>,
  ) {
    this.convexUpdates = recordUpdates(convex, counter, { name: "watchdog" });
  }

  start(): void {
    this.bumper = setInterval(() => {
      void this.http.mutation(bump, { name: "watchdog" }).then((value) => {
        this.lastBump = Math.max(this.lastBump, value);
      });
    }, 50);
  }

  /** Stops bumping; both sides must reach the last value within a step. */
  async stopAndCheck(): Promise<{ bumps: number; graphqlUpdates: number }> {
    if (this.bumper !== null) clearInterval(this.bumper);
    await delay(200); // the last bump in flight
    const last = this.lastBump;
    await eventually(
      () => this.convexUpdates.values.at(-1) === last && this.graphqlLatest() === last,
      `both sides to reach the last bump ${last}`,
    ).catch(() => {
      throw new Error(
        `the watchdog fell behind: last bump ${last}, ConvexClient ${this.convexUpdates.values.at(-1)}, GraphQL ${this.graphqlLatest()}`,
      );
    });
    return { bumps: last, graphqlUpdates: this.graphql.values.length };
  }

  private graphqlLatest(): number | undefined {
    return (this.graphql.values.at(-1)?.data as { probeCounter?: number } | undefined)
      ?.probeCounter;
  }

  async close(): Promise<void> {
    if (this.bumper !== null) clearInterval(this.bumper);
    this.convexUpdates[Symbol.dispose]();
    await this.convex.close();
  }
}

let watchdog: Watchdog;
let watchdogSocket: WsClient;

beforeAll(async () => {
  console.log(`hostile property tests: seed ${SEED} (replay with HOSTILE_SEED=${SEED})`);
  watchdogSocket = wsClient(servers.gateway.url);
  const convex = new ConvexClient(servers.backend.url, {
    logger: false,
    unsavedChangesWarning: false,
  });
  watchdog = new Watchdog(
    convex,
    new ConvexHttpClient(servers.backend.url, { logger: false }),
    record(watchdogSocket, { query: `subscription { probeCounter(name: "watchdog") }` }),
  );
  await watchdog.graphql.next("the watchdog's first result");
  watchdog.start();
});

afterAll(async () => {
  await watchdog.close();
  await watchdogSocket.dispose();
});

// ------------------------------------------------------------------------------------------
// GraphQL documents

const GRAPHQL_TOKENS = [
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ":",
  "...",
  "=",
  "|",
  "!",
  "$",
  "@",
  "&",
  "query",
  "subscription",
  "mutation",
  "fragment",
  "on",
  "Query",
  "Subscription",
  "F",
  "G",
  "__typename",
  "__schema",
  "__type",
  "probeTyped",
  "probeDepth",
  "probeCounter",
  "probeNotes",
  "name",
  "value",
  "paginationOpts",
  "numItems",
  "cursor",
  "$v",
  "$b",
  "Boolean!",
  "JSON!",
  "@include(if: $b)",
  "@skip(if: true)",
  "@live",
  `"x"`,
  `"""block"""`,
  `"\\u0041"`,
  "1",
  "-2.5e3",
  "true",
  "null",
  "#comment\n",
  "\n",
  ",",
];

/** Documents close to valid ones: an operation, variables, one field, arguments, directives. */
const shapedDocument: fc.Arbitrary<string> = fc
  .record({
    operation: fc.constantFrom("query", "subscription", "mutation", "query Q", "subscription S"),
    variableDefinitions: fc.constantFrom(
      "",
      "($b: Boolean!)",
      "($v: JSON!)",
      "($v: JSON, $b: Boolean)",
      "($x: Unknown)",
    ),
    field: fc.constantFrom(
      "probeTyped",
      "probeDepth",
      "probeCounter",
      "probeNotes",
      "__typename",
      "nothing",
    ),
    args: fc.constantFrom(
      "",
      `(name: "x")`,
      "(value: $v)",
      "(value: [[[1]]])",
      `(name: $b)`,
      '(paginationOpts: {numItems: 1, cursor: "!"})',
    ),
    directives: fc.constantFrom(
      "",
      "@include(if: $b)",
      "@skip(if: $b)",
      "@include(if: true) @skip(if: false)",
      "@live",
      "@unknown",
    ),
    alias: fc.constantFrom("", "a: ", "b: "),
  })
  .map(
    ({ operation, variableDefinitions, field, args, directives, alias }) =>
      `${operation}${variableDefinitions} { ${alias}${field}${args} ${directives} }`,
  );

const graphqlDocument: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: shapedDocument },
  {
    weight: 6,
    arbitrary: fc
      .array(fc.constantFrom(...GRAPHQL_TOKENS), { maxLength: 120 })
      .map((tokens) => tokens.join(" ")),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map(nestedSelections) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((n) => fragmentChain(n)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 20_000 })
      .map((n) => `{ probeDepth(value: ${nestedJsonText(n)}) }`),
  },
);

const variables: fc.Arbitrary<Record<string, unknown>> = fc.record({
  v: fc.jsonValue({ maxDepth: 8 }),
  b: fc.oneof(fc.boolean(), fc.string({ maxLength: 5 }), fc.constant(null)),
});

describe("generated GraphQL documents", () => {
  it("never get a 5xx over HTTP, nor close a graphql-ws socket", async () => {
    await using socket = wsClient(servers.gateway.url, { lazy: false });
    let operations = 0;
    await fc.assert(
      fc.asyncProperty(graphqlDocument, variables, async (query, vars) => {
        const answer = await within(
          fetch(servers.gateway.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query, variables: vars }),
          }),
          STEP_MS,
          `POST ${query.slice(0, 60)}`,
        );
        expect(answer.status).toBeLessThan(500);
        await answer.body?.cancel(); // a subscription streams on: its first headers are enough

        using operation = record(socket, { query, variables: vars });
        operations++;
        // A subscription may stay open: the first event (or its end) is enough.
        await within(
          new Promise<void>((resolve) => {
            const check = setInterval(() => {
              if (
                operation.values.length > 0 ||
                operation.error !== undefined ||
                operation.completed
              ) {
                clearInterval(check);
                resolve();
              }
            }, 5);
          }),
          STEP_MS,
          `the graphql-ws answer to ${query.slice(0, 60)}`,
        );
        expect(socket.closes).toEqual([]);
      }),
      { seed: SEED, numRuns: 150 },
    );
    expect(operations).toBe(150);
  });
});

// ------------------------------------------------------------------------------------------
// Sync-protocol frames

const MESSAGE_TYPES = [
  "Connect",
  "ModifyQuerySet",
  "Mutation",
  "Action",
  "Authenticate",
  "Event",
  "Bogus",
];

/** A field value: arbitrary JSON, deeply nested JSON (as text), or a plausible one. */
const fieldText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value) ?? "null"),
  fc.integer({ min: 60, max: 100_000 }).map(nestedJsonText),
  fc.constantFrom(
    `0`,
    `1`,
    `"probe:depth"`,
    `"probe:bump"`,
    `[{}]`,
    `[{"name":"x"}]`,
    `"User"`,
    `null`,
  ),
);

const frameText: fc.Arbitrary<string> = fc
  .record({
    type: fc.oneof(fc.constantFrom(...MESSAGE_TYPES), fieldText),
    fields: fc.dictionary(
      fc.constantFrom(
        "baseVersion",
        "newVersion",
        "modifications",
        "requestId",
        "udfPath",
        "args",
        "queryId",
        "tokenType",
        "value",
        "eventType",
        "event",
        "sessionId",
        "connectionCount",
      ),
      fieldText,
      { maxKeys: 6 },
    ),
    modification: fc.option(
      fc.record({
        type: fc.constantFrom(`"Add"`, `"Remove"`, `7`),
        args: fieldText,
        queryId: fieldText,
      }),
    ),
  })
  .map(({ type, fields, modification }) => {
    const parts = [
      `"type":${type.startsWith("[") || type.startsWith("{") || type.startsWith('"') || /^[-\d]/.test(type) || type === "null" || type === "true" || type === "false" ? type : JSON.stringify(type)}`,
    ];
    for (const [name, value] of Object.entries(fields)) parts.push(`"${name}":${value}`);
    if (modification !== null) {
      parts.push(
        `"modifications":[{"type":${modification.type},"queryId":${modification.queryId},"udfPath":"probe:depth","args":${modification.args}}]`,
      );
    }
    return `{${parts.join(",")}}`;
  });

describe("generated sync-protocol frames", () => {
  it("never close a socket with 1011 nor answer InternalServerError", async () => {
    let socket = await RawSyncSocket.connect(servers.backend.url);
    try {
      await fc.assert(
        fc.asyncProperty(frameText, async (frame) => {
          if (!socket.isOpen) {
            const closed = await socket.expectClose();
            expect(closed.code).not.toBe(1011);
            await socket[Symbol.asyncDispose]();
            socket = await RawSyncSocket.connect(servers.backend.url);
          }
          socket.sendText(frame);
          // Whatever comes back (a Transition, a response, a FatalError) is never an internal error.
          await delay(2);
          while (socket.unread > 0) {
            const message = await socket.next("a frame already received");
            expect(JSON.stringify(message)).not.toContain("InternalServerError");
          }
        }),
        { seed: SEED, numRuns: 150 },
      );
    } finally {
      await socket[Symbol.asyncDispose]();
    }
  });
});

describe("the watchdog", () => {
  it("kept receiving every update while the properties ran", async () => {
    const { bumps, graphqlUpdates } = await watchdog.stopAndCheck();
    expect(bumps).toBeGreaterThan(5);
    expect(graphqlUpdates).toBeGreaterThan(5);
  });
});
