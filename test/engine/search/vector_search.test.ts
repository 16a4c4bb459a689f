/**
 * Vector search through the official `convex` client: `ctx.vectorSearch` in an action returns the
 * top k by cosine similarity, equal to a brute-force ranking computed here, with `q.eq`/`q.or`
 * filters on filter fields; bad limits, dimensions, NaN, unknown indexes and fields fail with an
 * error while the backend keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, syncClient, type SyncClient } from "../../sync/support/clients.ts";
import type { TestBackend } from "../../utils/backend.ts";
import { fns, SEARCH_APP_DIR } from "./fixture.ts";
import { step } from "../../utils/waits.ts";
import { seededRandom } from "../../utils/seeded_random.ts";

let backend: TestBackend;
let client: SyncClient;
const stored: { id: string; channel: string; embedding: number[] }[] = [];

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return dot / Math.sqrt(na * nb);
}

function bruteForce(query: number[], limit: number, channels?: string[]) {
  return stored
    .filter((doc) => channels === undefined || channels.includes(doc.channel))
    .map((doc) => ({ _id: doc.id, _score: cosine(query, doc.embedding) }))
    .sort((a, b) => b._score - a._score || (a._id < b._id ? -1 : 1))
    .slice(0, limit);
}

beforeAll(async () => {
  backend = await serve({ dir: SEARCH_APP_DIR });
  client = syncClient(backend.url);
  const random = seededRandom(7);
  const channels = ["red", "green", "blue"];
  for (let i = 0; i < 60; i++) {
    const embedding = [0, 0, 0, 0].map(() => random() * 2 - 1);
    const channel = channels[i % 3] as string;
    const id = await step(
      client.mutation(fns.insert, { body: `doc ${i}`, channel, author: "v", embedding }),
      "insert",
    );
    stored.push({ id, channel, embedding });
  }
});

afterAll(async () => {
  await client[Symbol.asyncDispose]();
  await backend[Symbol.asyncDispose]();
});

function expectRanking(actual: { _id: string; _score: number }[], expected: typeof actual) {
  expect(actual.map((hit) => hit._id)).toEqual(expected.map((hit) => hit._id));
  actual.forEach((hit, i) => expect(hit._score).toBeCloseTo(expected[i]?._score ?? NaN, 5));
}

describe("vector search", () => {
  it("returns the top 10 by cosine similarity by default, as a brute-force scan ranks them", async () => {
    const query = [0.3, -0.2, 0.9, 0.1];
    const hits = await step(client.action(fns.similar, { vector: query }), "vector search");
    expect(hits).toHaveLength(10);
    expectRanking(hits, bruteForce(query, 10));
  });

  it("honours limit and eq / or filters on filter fields", async () => {
    const query = [-0.5, 0.5, 0.1, 0.7];
    expectRanking(
      await client.action(fns.similar, { vector: query, limit: 25 }),
      bruteForce(query, 25),
    );
    expectRanking(
      await client.action(fns.similar, { vector: query, limit: 7, channels: ["red"] }),
      bruteForce(query, 7, ["red"]),
    );
    expectRanking(
      await client.action(fns.similar, { vector: query, limit: 256, channels: ["red", "blue"] }),
      bruteForce(query, 256, ["red", "blue"]),
    );
  });

  it("sees a new vector at once, and forgets a deleted one", async () => {
    const query = [1, 1, 1, 1];
    const id = await client.mutation(fns.insert, {
      body: "exact",
      channel: "green",
      author: "v",
      embedding: [2, 2, 2, 2],
    });
    const [best] = await client.action(fns.similar, { vector: query, limit: 1 });
    expect(best?._id).toBe(id);
    expect(best?._score).toBeCloseTo(1, 6);
    await client.mutation(fns.remove, { id });
    const [after] = await client.action(fns.similar, { vector: query, limit: 1 });
    expect(after?._id).not.toBe(id);
  });

  it("refuses bad input with an error and keeps serving", async () => {
    const bad: [Parameters<typeof client.action<typeof fns.similar>>[1], string][] = [
      [{ vector: [1, 2, 3, 4], limit: 0 }, "Vector search limit must be between 1 and 256, got 0."],
      [
        { vector: [1, 2, 3, 4], limit: 257 },
        "Vector search limit must be between 1 and 256, got 257.",
      ],
      [
        { vector: [1, 2, 3] },
        "Vector search against articles.by_embedding has a query vector of length 3, but the index's `dimensions` is 4.",
      ],
      [
        { vector: [1, NaN, 3, 4] },
        "the query vector must hold only finite numbers (no NaN or Infinity).",
      ],
    ];
    for (const [args, message] of bad) {
      await expect(client.action(fns.similar, args), message).rejects.toThrow(message);
    }
    await expect(client.action(fns.vectorMisuse, { kind: "noIndex" })).rejects.toThrow(
      "Index articles.nope not found.",
    );
    await expect(client.action(fns.vectorMisuse, { kind: "wrongField" })).rejects.toThrow(
      'Vector search against articles.by_embedding contains a filter on "author" but that field isn\'t indexed for filtering in `filterFields`.',
    );
    expect(await client.action(fns.similar, { vector: [1, 0, 0, 0], limit: 3 })).toHaveLength(3);
  });
});
