/**
 * The multipart plugin's ends of a stream, on a plain Yoga server of its own (port 0) whose
 * subscriptions finish or fail on purpose, which a live Convex subscription never does: a stream
 * that completes ends with the closing boundary, one that fails sends `{payload: null, errors}`
 * and then the closing boundary; Apollo Client 4 over `HttpLink` sees the completion and the
 * error as Apollo's protocol means them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloClient, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { GraphQLError, type DocumentNode, type ExecutionResult } from "graphql";
import { createSchema, createYoga, type Plugin } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multipartSubscriptionsPlugin } from "../../gateway/multipart_subscriptions.ts";
import { MultipartStream } from "./support/multipart.ts";
import { eventually } from "../utils/waits.ts";

/**
 * `subscription { failing }` gets a result stream that fails after one result, as the gateway's
 * own live streams are set in place of graphql-js's (graphql-js would turn the failure into a
 * result with errors).
 */
const failingStreams: Plugin = {
  onSubscribe({ args, setSubscribeFn }) {
    const document = args.document as DocumentNode;
    if (!/failing/.test(document.loc?.source.body ?? "")) return;
    setSubscribeFn(async function* (): AsyncGenerator<ExecutionResult> {
      await Promise.resolve();
      yield { data: { failing: 1 } };
      throw new GraphQLError("the feed broke", { extensions: { code: "FEED_DOWN" } });
    } as never);
  },
};

let server: http.Server;
let url: string;

beforeAll(async () => {
  const schema = createSchema({
    typeDefs: `type Query { ok: Boolean }
      type Subscription { countdown(from: Int!): Int, failing: Int }`,
    resolvers: {
      Subscription: {
        countdown: {
          subscribe: async function* (_: unknown, { from }: { from: number }) {
            for (let n = from; n > 0; n--) yield await Promise.resolve({ countdown: n });
          },
        },
        // Replaced by failingStreams.
        failing: { subscribe: () => [][Symbol.iterator]() },
      },
    },
  });
  const yoga = createYoga({ schema, plugins: [failingStreams, multipartSubscriptionsPlugin()] });
  server = http.createServer((req, res) => void yoga.requestListener(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("the ends of a multipart stream", () => {
  it("closes with the final boundary when the subscription completes", async () => {
    const stream = await MultipartStream.open(url, {
      query: "subscription { countdown(from: 2) }",
    });
    await stream.finished("the stream to end");
    expect(stream.parts).toEqual([
      { payload: { data: { countdown: 2 } } },
      { payload: { data: { countdown: 1 } } },
    ]);
    expect(stream.raw.endsWith("\r\n--graphql--\r\n")).toBe(true);
  });

  it("sends {payload: null, errors} when the stream fails, then closes", async () => {
    const stream = await MultipartStream.open(url, { query: "subscription { failing }" });
    await stream.finished("the stream to end");
    expect(stream.parts).toEqual([
      { payload: { data: { failing: 1 } } },
      {
        payload: null,
        errors: [{ message: "the feed broke", extensions: { code: "FEED_DOWN" } }],
      },
    ]);
    expect(stream.raw.endsWith("\r\n--graphql--\r\n")).toBe(true);
  });

  it("is read by Apollo Client as results, an error and a completion", async () => {
    const apollo = new ApolloClient({
      link: new HttpLink({ uri: url }),
      cache: new InMemoryCache(),
    });
    const counted: number[] = [];
    let completed = false;
    apollo
      .subscribe({
        query: gql`
          subscription {
            countdown(from: 3)
          }
        `,
      })
      .subscribe({
        next: (value) => counted.push((value.data as { countdown: number }).countdown),
        complete: () => (completed = true),
      });
    await eventually(() => completed, "the countdown to complete");
    expect(counted).toEqual([3, 2, 1]);

    const errors: unknown[] = [];
    let failed: unknown;
    apollo
      .subscribe({
        query: gql`
          subscription {
            failing
          }
        `,
      })
      .subscribe({
        next: (value) => errors.push(value.error ?? value.data),
        error: (error: unknown) => (failed = error),
        complete: () => (completed = true),
      });
    await eventually(() => errors.length + (failed === undefined ? 0 : 1) >= 2, "the failure");
    const failure = String(failed ?? errors[1]);
    expect(failure).toContain("the feed broke");
    apollo.stop();
  });
});
