/**
 * Kept results of one-off queries (gateway/upstream/reused_results.ts): an identical repeat whose
 * Convex reads the identity's session still holds unchanged is answered with the kept result,
 * without executing; once any value it read changed (the page, or only a relation's target),
 * the repeat executes again. On the typed fixture app: posts with their authors' names.
 *
 * Hits are read from `/metrics` (`gateway_reused_results_total`); the backend's execution count
 * shows no upstream read happened.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConvexHttpClient } from "convex/browser";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { metricValue } from "../utils/metrics.ts";
import { eventually } from "../utils/waits.ts";
import { data, startTestGateway, type TestGateway } from "./support/gateway.ts";
import { seedBlog, TYPED_APP_DIR, typedApi } from "./support/typed_app.ts";

let backend: TestBackend;
let gateway: TestGateway;
let seeded: Awaited<ReturnType<typeof seedBlog>>;

beforeAll(async () => {
  // No shared /api/query cache: every upstream read executes, so executions count reads.
  backend = await startTestBackend({ dir: TYPED_APP_DIR, httpQueryCache: false });
  gateway = await startTestGateway(backend.url, { dir: TYPED_APP_DIR });
  seeded = await seedBlog(backend.url, { authors: 3, posts: 12 });
});

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

const POSTS = "{ postsList(first: 12) { edges { node { title authorDoc { name } } } } }";

interface Posts {
  postsList: { edges: { node: { title: string; authorDoc: { name: string } | null } }[] };
}

function queryExecutions(): number {
  return backend.engine.executor.stats.queries;
}

async function reusedSoFar(): Promise<number> {
  const response = await fetch(gateway.url.replace(/\/graphql$/, "/metrics"));
  return metricValue(await response.text(), "gateway_reused_results_total");
}

async function authorNames(headers: Record<string, string> = {}): Promise<Set<string>> {
  const result = (await data(gateway.url, POSTS, {}, headers)) as unknown as Posts;
  expect(result.postsList.edges).toHaveLength(12);
  return new Set(result.postsList.edges.map((edge) => edge.node.authorDoc?.name ?? "none"));
}

describe("kept results of one-off queries", () => {
  it("answers an identical repeat with the kept result, with no upstream read", async () => {
    const first = await authorNames();
    // Until the session's first Transition the repeat may still read upstream.
    await eventually(async () => {
      const executions = queryExecutions();
      const hits = await reusedSoFar();
      expect(await authorNames()).toEqual(first);
      return queryExecutions() === executions && (await reusedSoFar()) === hits + 1;
    }, "a repeat answered with the kept result");
  });

  it("executes again once a relation's target changed, even with the page unchanged", async () => {
    await authorNames();
    await authorNames(); // kept
    const author = seeded.authors[1] ?? "";
    const hits = await reusedSoFar();
    // Through the gateway, as this identity: its next read must see the write.
    const renamed = await data(
      gateway.url,
      'mutation ($id: ID!) { authorsRename(id: $id, name: "renamed 1") }',
      { id: author },
    );
    expect(renamed).toEqual({ authorsRename: null });
    const names = await authorNames();
    expect(names).toContain("renamed 1");
    expect(names).not.toContain("author 1");
    expect(await reusedSoFar()).toBe(hits);
  });

  it("answers a no-cache repeat with the kept result only when it is the latest", async () => {
    await authorNames();
    const client = new ConvexHttpClient(backend.url, { logger: false });
    // Another identity's write, straight to the backend: the gateway hears of it only by a push.
    await client.mutation(typedApi.renameAuthor, {
      id: seeded.authors[2] ?? "",
      name: "renamed 2",
    });
    expect(await authorNames({ "cache-control": "no-cache" })).toContain("renamed 2");
    await eventually(async () => {
      const hits = await reusedSoFar();
      expect(await authorNames({ "cache-control": "no-cache" })).toContain("renamed 2");
      return (await reusedSoFar()) === hits + 1;
    }, "a no-cache repeat answered with the kept result");
  });
});
