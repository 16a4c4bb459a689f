/**
 * Hostile GraphQL documents, sent as an attacker without credentials would: each is refused with
 * a clear error, fast (the time bounds are loose: the attacks they stop took seconds to hours), and
 * none leaves memory behind. The story of the memory test: a stream of distinct documents of
 * nearly 1 MiB each (the body limit), of every hostile shape, keeps the gateway's document cache
 * within its byte bound and its RSS under a ceiling, and the gateway still answers afterwards.
 */
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../utils/backend.ts";
import {
  aliasFlood,
  directiveFlood,
  fragmentChain,
  fragmentFlood,
  nestedSelections,
  paddedValidDocument,
} from "../utils/hostile_documents.ts";
import { post, useSharedServers } from "../gateway/support/gateway.ts";

const servers = useSharedServers({ dir: `${REPO_ROOT}/test/fixtures/hostile_app` });

/** Just under the 1 MiB body limit, leaving room for the JSON around the document. */
const MAX_DOCUMENT = 1_048_576 - 1_024;

/** Posts `query` and returns its first error's code and message, and how long the refusal took. */
async function refusal(
  query: string,
): Promise<{ status: number; code: unknown; message: string; ms: number }> {
  const started = performance.now();
  const answer = await post(servers.gateway.url, { query });
  const ms = performance.now() - started;
  const error = answer.json().errors?.[0];
  return {
    status: answer.status,
    code: error?.extensions?.code,
    message: error?.message ?? "",
    ms,
  };
}

describe("documents that cost more to check than to send", () => {
  it.each([24, 40])(
    "refuses a chain of %i fragments, each spreading the next twice, at once",
    async (n) => {
      const answer = await refusal(fragmentChain(n));
      expect(answer.code).toBe("QUERY_TOO_COSTLY");
      expect(answer.message).toBe(
        `Operation is too costly: it selects ${2 ** n} fields, over the limit of 1000.`,
      );
      // Expanded naively, 24 fragments took 7-10 s and 40 would take days.
      expect(answer.ms).toBeLessThan(1_000);
    },
  );

  it("refuses selections nested 3,000 and 100,000 levels before parsing them", async () => {
    for (const levels of [3_000, 100_000]) {
      const answer = await refusal(nestedSelections(levels));
      expect(answer.status).toBe(400);
      expect(answer.code).toBe("QUERY_TOO_DEEP");
      expect(answer.message).toBe(
        "Document is nested too deeply: more than 128 levels of brackets.",
      );
    }
  });

  it("refuses a document of more than 15,000 tokens while parsing it", async () => {
    const answer = await refusal(aliasFlood(MAX_DOCUMENT, "a"));
    expect(answer.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(answer.message).toBe(
      "Syntax Error: Document contains more that 15000 tokens. Parsing aborted.",
    );
  });

  it("refuses more than 100 directives and more than 500 fragments", async () => {
    const directives = await refusal(directiveFlood(4_000));
    expect(directives.code).toBe("QUERY_TOO_COMPLEX");
    expect(directives.message).toBe("Document has too many directives: more than 100.");

    const fragments = await refusal(fragmentFlood(40_000, "f"));
    expect(fragments.code).toBe("QUERY_TOO_COMPLEX");
    expect(fragments.message).toMatch(
      /^Document has too many fragments: \d+, over the limit of 500\.$/,
    );
  });

  it("still answers a document at every limit", async () => {
    const atLimits = `{ ${Array.from({ length: 1_000 }, (_, index) => `t${index}: __typename`).join(" ")} }`;
    const answer = await post(servers.gateway.url, { query: atLimits });
    expect(answer.json().errors).toBeUndefined();
    expect(Object.keys(answer.json().data ?? {})).toHaveLength(1_000);
  });
});

/** Heap and RSS after full collections (the test workers run with `--expose-gc`). */
async function settledMemory(): Promise<{ heap: number; rss: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc (vitest.config.ts sets it)");
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

const MiB = 1024 * 1024;

describe("memory under a stream of distinct maximum-size documents", () => {
  it("keeps the document cache within its byte bound and memory under a ceiling", async () => {
    const seed = Date.now() % 1_000_000;
    console.log(`hostile document stream: seed ${seed}`);
    const cache = servers.gateway.documents;
    const baseline = await settledMemory();
    const shapes = [
      (tag: string) => aliasFlood(MAX_DOCUMENT, tag), // refused while parsing
      (tag: string) => fragmentFlood(MAX_DOCUMENT, tag), // refused by the fragment limit
      (tag: string) => paddedValidDocument(MAX_DOCUMENT, tag), // valid: cached
      (tag: string) => aliasFlood(30_000, tag), // under the token limit, over the cost limit
    ];
    for (let index = 0; index < 160; index++) {
      const tag = `s${seed}_${index}_`;
      const answer = await post(servers.gateway.url, {
        query: shapes[index % shapes.length]!(tag),
      });
      expect(answer.status).toBeLessThan(500);
      expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
      if (index % 40 === 39) {
        // What stays is the cache (64 MiB, estimated generously) and little else.
        const settled = await settledMemory();
        expect(settled.heap - baseline.heap).toBeLessThan(128 * MiB);
        expect(settled.rss - baseline.rss).toBeLessThan(256 * MiB);
      }
    }
    // The padded valid documents were cached (within the bound); no refused one was.
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.size).toBeLessThanOrEqual(40);
    const after = await post(servers.gateway.url, { query: "{ __typename }" });
    expect(after.json()).toEqual({ data: { __typename: "Query" } });
  });
});
