/**
 * The error table (gateway/errors.ts): every code an upstream error can carry becomes its
 * `extensions.code`, whichever way it is carried, and a function that runs past Convex's time
 * limit is reported as such, not as an unreachable backend.
 */
import { describe, expect, it } from "vitest";
import { GraphQLError } from "graphql";
import { CODE_TABLE, ERROR_CODES, toGraphQLError } from "../../gateway/errors.ts";
import { REPO_ROOT } from "../utils/backend.ts";
import { post, record, startTestGateway, useSharedServers, wsClient } from "./support/gateway.ts";

const servers = useSharedServers({ dir: `${REPO_ROOT}/test/fixtures/hostile_app` });

/** The ways an error reaches the gateway carrying `code`. */
function carriers(code: string): Record<string, Error> {
  return {
    "its own code property": Object.assign(new Error("it failed"), { code }),
    "a {code, message} body": new Error(JSON.stringify({ code, message: "it failed" })),
    "a Convex server error's short code": new Error(
      `[Request ID: 0123456789abcdef] Server Error\n${code}: it failed`,
    ),
  };
}

function codeOf(error: Error): unknown {
  return error instanceof GraphQLError ? error.extensions["code"] : undefined;
}

describe("the error table", () => {
  for (const [carried, expected] of Object.entries(CODE_TABLE)) {
    it(`${carried} becomes ${expected}`, () => {
      for (const [how, error] of Object.entries(carriers(carried))) {
        expect(codeOf(toGraphQLError(error, "probe:fn")), how).toBe(expected);
      }
    });
  }

  it("reads Convex's code-less failures by the words Convex starts them with", () => {
    const framed = (detail: string) =>
      new Error(`[Request ID: 0123456789abcdef] Server Error\n${detail}`);
    const timeout = framed("Function execution timed out (maximum duration: 1s)");
    const missing = framed(
      "Could not find public function for 'probe:gone'. Did you forget to run `npx convex dev`?",
    );
    expect(codeOf(toGraphQLError(timeout, "probe:spin"))).toBe(ERROR_CODES.functionTimeout);
    expect(codeOf(toGraphQLError(missing, "probe:gone"))).toBe(ERROR_CODES.notFound);
  });

  it("never reads a code from a function's own message", () => {
    // A function that throws words like these is a failing function, masked outside dev.
    const thrown = new Error(
      "[Request ID: 0123456789abcdef] Server Error\nUncaught Error: fetch failed: the request timed out (ECONNREFUSED)",
    );
    const converted = toGraphQLError(thrown, "probe:fn");
    expect(converted).not.toBeInstanceOf(GraphQLError);
    expect(converted.message).toBe(
      "probe:fn failed: fetch failed: the request timed out (ECONNREFUSED)",
    );
  });
});

describe("a function that runs too long", () => {
  it("is CONVEX_FUNCTION_TIMEOUT over HTTP, not CONVEX_UNAVAILABLE", async () => {
    const answer = await post(servers.gateway.url, { query: "{ probeSpin }" });
    const body = answer.json() as {
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    expect(body.errors?.[0]?.extensions?.code, JSON.stringify(body)).toBe(
      ERROR_CODES.functionTimeout,
    );
    expect(body.errors?.[0]?.message).toBe(
      "probe:spin ran too long: Function execution timed out (maximum duration: 1s)",
    );
  });

  it("is CONVEX_FUNCTION_TIMEOUT in a subscription", async () => {
    await using client = wsClient(servers.gateway.url);
    using recording = record(client, { query: "subscription { probeSpin }" });
    const result = await recording.next("the timed-out result");
    expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result)).toBe(
      ERROR_CODES.functionTimeout,
    );
  });
});

describe("a backend that cannot be reached", () => {
  it("is CONVEX_UNAVAILABLE", async () => {
    await using gateway = await startTestGateway("http://127.0.0.1:9", {
      dir: `${REPO_ROOT}/test/fixtures/hostile_app`,
      upstreamTimeoutMs: 2_000,
    });
    const answer = await post(gateway.url, { query: '{ probeTyped(name: "x") }' });
    const body = answer.json() as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe(ERROR_CODES.unavailable);
  });
});
