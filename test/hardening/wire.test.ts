/**
 * Hostile input on every entry point, over real sockets: each gets a clear refusal naming the
 * problem, never a 500, a 1011 or a closed socket for its neighbours.
 * - one subscription whose validation throws, beside a healthy one on the same graphql-ws socket
 *   (and the same document over SSE);
 * - values nested 100, 5,000 and 100,000 levels: gateway variables (HTTP, graphql-ws), GraphQL
 *   literals, the backend's HTTP API, and the sync protocol's ModifyQuerySet and Mutation;
 * - a 16 MB argument that fails validation: a short message, at once;
 * - an invalid pagination cursor through GraphQL: BAD_USER_INPUT with Convex's message;
 * - strings with a lone surrogate (not Unicode), in arguments and in documents a function writes.
 */
import { ConvexHttpClient } from "convex/browser";
import WebSocket from "ws";
import { makeFunctionReference } from "convex/server";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../utils/backend.ts";
import { nestedJsonText } from "../utils/hostile_documents.ts";
import {
  post,
  record,
  request,
  useSharedServers,
  wsClient,
  type WireResult,
} from "../gateway/support/gateway.ts";
import { SseStream } from "../gateway/support/sse.ts";
import { RawSyncSocket } from "../sync/support/raw_socket.ts";
import { syncClient } from "../sync/support/clients.ts";
import { STEP_MS, within } from "../utils/waits.ts";

const servers = useSharedServers({ dir: `${REPO_ROOT}/test/fixtures/hostile_app` });

const TOO_NESTED = "Value is too nested (nested 65 levels deep > maximum nesting 64)";
const bump = makeFunctionReference<"mutation", { name: string }, number>("probe:bump");
const saveLoneSurrogate = makeFunctionReference<"mutation", Record<string, never>, string>(
  "probe:saveLoneSurrogate",
);
const LONE_SURROGATE =
  "String contains a lone surrogate (an unpaired UTF-16 code unit in U+D800..U+DFFF): Convex strings must be valid Unicode.";

/** POSTs a raw JSON body (deep values cannot go through JSON.stringify). */
async function postRaw(url: string, body: string): Promise<{ status: number; text: string }> {
  const answer = await request(
    url,
    { method: "POST", headers: { "content-type": "application/json" }, body },
    `POST ${body.slice(0, 60)}`,
  );
  return { status: answer.status, text: answer.text };
}

/** A graphql-transport-ws socket driven frame by frame. */
class RawGraphqlWs implements AsyncDisposable {
  private readonly inbox: unknown[] = [];
  private wake: (() => void) | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as { type?: string };
      if (message.type === "complete") return;
      this.inbox.push(message);
      this.wake?.();
    });
  }

  static async open(url: string): Promise<RawGraphqlWs> {
    const ws = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
    const socket = new RawGraphqlWs(ws);
    await within(
      new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      }),
      STEP_MS,
      "the graphql-ws socket to open",
    );
    socket.send(`{"type":"connection_init"}`);
    expect(await socket.next("connection_ack")).toEqual({ type: "connection_ack" });
    return socket;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  async next(what: string): Promise<unknown> {
    const wait = async (): Promise<unknown> => {
      while (this.inbox.length === 0) {
        if (this.ws.readyState !== WebSocket.OPEN)
          throw new Error(`the socket closed before ${what}`);
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      return this.inbox.shift();
    };
    return within(wait(), STEP_MS, what);
  }

  /** Resolves with the close code and reason once the server closed the socket. */
  closed(): Promise<{ code: number; reason: string }> {
    return within(
      new Promise((resolve) => {
        if (this.ws.readyState === WebSocket.CLOSED)
          resolve({ code: -1, reason: "already closed" });
        this.ws.once("close", (code: number, reason: Buffer) =>
          resolve({ code, reason: reason.toString("utf8") }),
        );
      }),
      STEP_MS,
      "the server to close the graphql-ws socket",
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.ws.close();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("one operation's failure on a graphql-ws socket", () => {
  it("fails that operation only: the healthy subscription beside it keeps updating", async () => {
    await using client = wsClient(servers.gateway.url);
    using healthy = record(client, { query: `subscription { probeCounter(name: "iso") }` });
    const first = await healthy.next("the healthy subscription's first result");
    expect(first.data).toEqual({ probeCounter: expect.any(Number) as number });

    // graphql-js's SingleFieldSubscriptions rule throws on this document (no runtime variables
    // exist during validation): graphql-ws used to close the whole socket with 4500.
    using throwing = record(client, {
      query: `subscription S($b: Boolean!) { probeCounter(name: "iso") @include(if: $b) }`,
      variables: { b: true },
    });
    const failure = await throwing.failure("the throwing subscription's error");
    expect(failure).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('Argument "if" of required type "Boolean!"') as string,
      }),
    ]);

    const counted = (first.data as { probeCounter: number }).probeCounter;
    await new ConvexHttpClient(servers.backend.url, { logger: false }).mutation(bump, {
      name: "iso",
    });
    const next = await healthy.next("the healthy subscription's update");
    expect(next.data).toEqual({ probeCounter: counted + 1 });
    expect(client.closes).toEqual([]);
  });

  it("answers the same document over SSE with an error, and the gateway goes on", async () => {
    await using stream = await SseStream.open(servers.gateway.url, {
      query: `subscription S($b: Boolean!) { probeCounter(name: "sse") @include(if: $b) }`,
      variables: { b: true },
    });
    expect(stream.status).toBeLessThan(500);
    const message = await stream.next("the SSE error");
    const result = JSON.parse(message.data) as WireResult;
    expect(result.errors?.[0]?.message).toContain('Argument "if" of required type "Boolean!"');
    const after = await post(servers.gateway.url, { query: "{ __typename }" });
    expect(after.json()).toEqual({ data: { __typename: "Query" } });
  });
});

/**
 * Two tiers on every entry point: a value nested past Convex's 64 levels (here 100) is refused
 * as a value, with Convex's message; JSON nested far deeper (5,000 and 100,000 levels) is refused
 * from its text before it is parsed: 400 for a body (serde_json's recursion limit, 128, as Convex
 * parses bodies), graphql-ws's 4400 for a frame, a protocol violation (1000,
 * WSMessageInvalidJson) for a sync frame past 1,000 levels.
 */
describe("values nested past Convex's limit", () => {
  const gatewayBody = (levels: number): string =>
    `{"query":"query($v: JSON!) { probeDepth(value: $v) }","variables":{"v":${nestedJsonText(levels)}}}`;

  it("gateway variables over HTTP: Convex's message at 100 levels, 400 past 128", async () => {
    const value = await postRaw(servers.gateway.url, gatewayBody(100));
    expect(value.status).toBe(400);
    const valueError = (JSON.parse(value.text) as WireResult).errors?.[0];
    expect(valueError?.message).toContain(TOO_NESTED);
    expect(valueError?.extensions?.code).toBe("BAD_USER_INPUT");
    for (const levels of [5_000, 100_000]) {
      const body = await postRaw(servers.gateway.url, gatewayBody(levels));
      expect(body.status).toBe(400);
      expect(JSON.parse(body.text)).toEqual({
        errors: [
          {
            message:
              "The request body nests deeper than 128 levels (a Convex value nests at most 64).",
            extensions: { code: "BAD_USER_INPUT" },
          },
        ],
      });
    }
  });

  it("gateway variables over graphql-ws: an error at 100 levels, 4400 past 128", async () => {
    // Raw frames: a graphql-ws client serialises with JSON.stringify, which overflows on them.
    const subscribe = (levels: number): string =>
      `{"id":"deep","type":"subscribe","payload":{"query":"query($v: JSON!) { probeDepth(value: $v) }","variables":{"v":${nestedJsonText(levels)}}}}`;
    {
      await using socket = await RawGraphqlWs.open(servers.gateway.url);
      socket.send(subscribe(100));
      const refusal = await socket.next("the refusal of a deep variable");
      expect(refusal).toEqual(expect.objectContaining({ id: "deep", type: "next" }));
      expect(JSON.stringify(refusal)).toContain(TOO_NESTED);
      socket.send(
        `{"id":"ok","type":"subscribe","payload":{"query":"{ probeTyped(name: \\"ok\\") }"}}`,
      );
      expect(await socket.next("a query on the same socket")).toEqual({
        id: "ok",
        type: "next",
        payload: { data: { probeTyped: 2 } },
      });
    }
    for (const levels of [5_000, 100_000]) {
      await using socket = await RawGraphqlWs.open(servers.gateway.url);
      socket.send(subscribe(levels));
      expect(await socket.closed()).toEqual({
        code: 4400,
        reason: "Message nests deeper than 128 levels",
      });
    }
  });

  it("GraphQL literals: nested past 64 refused by Convex's rule, past 128 before parsing", async () => {
    const within64 = await post(servers.gateway.url, {
      query: `{ probeDepth(value: ${nestedJsonText(60)}) }`,
    });
    expect(within64.json()).toEqual({ data: { probeDepth: 60 } });
    const past64 = await post(servers.gateway.url, {
      query: `{ probeDepth(value: ${nestedJsonText(100)}) }`,
    });
    expect(past64.json().errors?.[0]?.message).toBe(TOO_NESTED);
    for (const levels of [5_000, 100_000]) {
      const answer = await post(servers.gateway.url, {
        query: `{ probeDepth(value: ${nestedJsonText(levels)}) }`,
      });
      expect(answer.status).toBe(400);
      expect(answer.json().errors?.[0]?.extensions?.code).toBe("QUERY_TOO_DEEP");
    }
  });

  it("the backend's HTTP API: Convex's validation error at 100 levels, 400 past 128", async () => {
    const call = (levels: number): Promise<{ status: number; text: string }> =>
      postRaw(
        `${servers.backend.url}/api/query`,
        `{"path":"probe:depth","args":{"value":${nestedJsonText(levels)}},"format":"convex_encoded_json"}`,
      );
    const value = await call(100);
    expect(value.status).toBe(200);
    const body = JSON.parse(value.text) as { status: string; errorMessage: string };
    expect(body.status).toBe("error");
    expect(body.errorMessage).toMatch(
      new RegExp(`Server Error\\nArgumentValidationError: ${TOO_NESTED.replace(/[()]/g, "\\$&")}$`),
    );
    for (const levels of [5_000, 100_000]) {
      const answer = await call(levels);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text)).toEqual({
        code: "BadJsonBody",
        message:
          "Failed to parse the request body as JSON: recursion limit exceeded (it nests deeper than 128 levels).",
      });
    }
  });

  it("the sync protocol: QueryFailed and a failed mutation at 100 levels, socket open", async () => {
    await using socket = await RawSyncSocket.connect(servers.backend.url);
    const args = `[{"value":${nestedJsonText(100)}}]`;
    socket.sendText(
      `{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":"probe:depth","args":${args}}]}`,
    );
    const transition = await socket.expect("Transition");
    expect(transition.modifications).toEqual([
      expect.objectContaining({
        type: "QueryFailed",
        errorMessage: expect.stringContaining(`ArgumentValidationError: ${TOO_NESTED}`) as string,
      }),
    ]);
    socket.sendText(`{"type":"Mutation","requestId":0,"udfPath":"probe:bump","args":${args}}`);
    const response = await socket.expect("MutationResponse");
    expect(response).toEqual(
      expect.objectContaining({
        success: false,
        result: expect.stringContaining(TOO_NESTED) as string,
      }),
    );
    expect(socket.isOpen).toBe(true);
  });

  it.each([5_000, 100_000])(
    "the sync protocol, %i levels: a protocol violation, never 1011",
    async (levels) => {
      await using socket = await RawSyncSocket.connect(servers.backend.url);
      socket.sendText(
        `{"type":"Mutation","requestId":0,"udfPath":"probe:bump","args":[{"value":${nestedJsonText(levels)}}]}`,
      );
      const fatal = await socket.expect("FatalError");
      expect(fatal.error).toBe(
        "WSMessageInvalidJson: Received a message that nests deeper than 1000 levels.",
      );
      expect(await socket.expectClose()).toEqual({ code: 1000, reason: "WSMessageInvalidJson" });
    },
  );
});

describe("oversized and invalid arguments", () => {
  it("answers a 16 MB argument that fails validation with a short message", async () => {
    const big = "x".repeat(16_000_000);
    const answer = await within(
      postRaw(
        `${servers.backend.url}/api/query`,
        `{"path":"probe:typed","args":{"name":["${big}"]},"format":"convex_encoded_json"}`,
      ),
      STEP_MS,
      "the refusal of a 16 MB argument",
    );
    const body = JSON.parse(answer.text) as { status: string; errorMessage: string };
    expect(body.status).toBe("error");
    expect(body.errorMessage).toContain("Value does not match validator.\nPath: .name\nValue: [");
    expect(body.errorMessage).toContain("[...truncated]\nValidator: v.string()");
    expect(body.errorMessage.length).toBeLessThan(17_000);
  });

  // Refused by a count before anything walks them (a 200,000-field object took 1.7 s to walk).
  it("refuses arrays and objects wider than Convex allows, with Convex's messages", async () => {
    const wideObject = `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":${i}`).join(",")}}`;
    const wideArray = `[${Array.from({ length: 500_000 }, (_, i) => i).join(",")}]`;
    const cases = [
      [wideObject, "Object has too many fields (200000 > maximum number 1024)"],
      [`[${wideArray}]`, "Array length is too long (500000 > maximum length 8192)"],
    ] as const;
    for (const [value, message] of cases) {
      const answer = await postRaw(
        `${servers.backend.url}/api/query`,
        `{"path":"probe:depth","args":{"value":${value}},"format":"convex_encoded_json"}`,
      );
      const body = JSON.parse(answer.text) as { status: string; errorMessage: string };
      expect(body.status, answer.text.slice(0, 200)).toBe("error");
      expect(body.errorMessage).toMatch(
        new RegExp(`ArgumentValidationError: ${message.replace(/[()]/g, "\\$&")}$`),
      );
    }
    // Within the limits, the same function answers.
    const fine = await postRaw(
      `${servers.backend.url}/api/query`,
      `{"path":"probe:depth","args":{"value":[${Array.from({ length: 8192 }, () => "{}").join(",")}]},"format":"convex_encoded_json"}`,
    );
    expect(JSON.parse(fine.text)).toMatchObject({ status: "success", value: 2 });
  });

  it("reports an invalid cursor through GraphQL as BAD_USER_INPUT with Convex's message", async () => {
    const answer = await post(servers.gateway.url, {
      query: `{ probeNotes(first: 2, after: "!!") { pageInfo { endCursor } } }`,
    });
    expect(answer.json().errors?.[0]).toEqual(
      expect.objectContaining({
        message: 'InvalidCursor: Failed to parse cursor "!!".',
        extensions: { code: "BAD_USER_INPUT", function: "probe:notes" },
      }),
    );
  });
});

// Convex strings are UTF-8: a lone surrogate would become U+FFFD in an index key, so that
// "a\ud800b" and "a\ufffdb" named one counter and bumping one bumped the other.
describe("strings that are not valid Unicode", () => {
  it("refuses a lone surrogate in arguments, over the sync protocol and the HTTP API", async () => {
    await using client = syncClient(servers.backend.url);
    for (const name of ["u\ud800", "u\udc00x", "\ud800\ud800"]) {
      const failure = await within(
        client.mutation(bump, { name }).then(
          () => "accepted",
          (error: unknown) => String(error),
        ),
        STEP_MS,
        "the refusal of a lone surrogate",
      );
      expect(failure).toContain(`ArgumentValidationError: ${LONE_SURROGATE}`);
    }
    // The counter the lone surrogates would have collided with is untouched.
    expect(await within(client.mutation(bump, { name: "u\ufffd" }), STEP_MS, "a bump")).toBe(1);
    // A pair, and the text of an escape, are fine.
    expect(
      await within(client.mutation(bump, { name: "\ud83d\ude00\\ud800" }), STEP_MS, "a bump"),
    ).toBe(1);

    const answer = await postRaw(
      `${servers.backend.url}/api/mutation`,
      `{"path":"probe:bump","args":{"name":"h\\ud800"},"format":"json"}`,
    );
    expect(JSON.parse(answer.text)).toMatchObject({
      status: "error",
      errorMessage: expect.stringContaining(LONE_SURROGATE) as unknown,
    });
  });

  it("refuses a document a function builds with a lone surrogate", async () => {
    const client = new ConvexHttpClient(servers.backend.url);
    const failure = await within(
      client.mutation(saveLoneSurrogate, {}).then(
        () => "stored",
        (error: unknown) => String(error),
      ),
      STEP_MS,
      "the refusal of the write",
    );
    expect(failure).toContain(LONE_SURROGATE);
    expect(failure).toContain("Path: .body");
  });
});
