/**
 * Relations over HTTP, on the typed fixture app (no `returns` validators): a post's `authorDoc`
 * and `tagsDocs` resolve through the app's own fetch-by-id queries, batched per operation (the
 * number of Convex query executions is asserted) and all read at one snapshot, a deleted target
 * resolves to null, and a discriminated union resolves each member.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConvexHttpClient } from "convex/browser";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { data, post, startTestGateway, type TestGateway } from "./support/gateway.ts";
import { seedBlog, TYPED_APP_DIR, typedApi, type PostConnection } from "./support/typed_app.ts";

let backend: TestBackend;
let gateway: TestGateway;
let seeded: Awaited<ReturnType<typeof seedBlog>>;

beforeAll(async () => {
  backend = await startTestBackend({ dir: TYPED_APP_DIR });
  // No query cache: every read goes upstream, so executions count reads.
  gateway = await startTestGateway(backend.url, { dir: TYPED_APP_DIR, queryCacheMs: 0 });
  seeded = await seedBlog(backend.url, { authors: 10, posts: 100 });
});

afterAll(async () => {
  await gateway.close();
  await backend.close();
});

function queryExecutions(): number {
  return backend.engine.executor.stats.queries;
}

const POSTS_WITH_AUTHORS = `{
  postsList(first: 100) {
    edges { cursor node { title authorDoc { name } tagsDocs { label } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe("relations", () => {
  it("resolves 100 posts' authors with one read per distinct author (and one per tag)", async () => {
    const before = queryExecutions();
    const result = await data(gateway.url, POSTS_WITH_AUTHORS);
    const executions = queryExecutions() - before;
    const connection = result["postsList"] as PostConnection & {
      edges: { node: { tagsDocs: { label: string }[] } }[];
    };
    expect(connection.edges).toHaveLength(100);
    // Newest first: post 99 is by author 9.
    expect(connection.edges[0]?.node).toEqual({
      title: "post 99",
      authorDoc: { name: "author 9" },
      tagsDocs: [{ label: "news" }],
    });
    const names = new Set(connection.edges.map((edge) => edge.node.authorDoc?.name));
    expect(names.size).toBe(10);
    // posts:list once, authors:byId once per distinct author, tags:get once for the one tag.
    expect(executions).toBe(1 + 10 + 1);
    // Convex cursors mark page ends: the last edge holds the page's end cursor.
    expect(connection.edges.at(-1)?.cursor).toBe(connection.pageInfo.endCursor);
    expect(connection.edges[0]?.cursor).toBeNull();
  });

  it("reads the page and every relation at the operation's one snapshot", async () => {
    const executor = backend.engine.executor;
    const reads: { path: string; snapshotTs: unknown }[] = [];
    const run = executor.run.bind(executor);
    executor.run = (request) => {
      if (request.kind === "query")
        reads.push({ path: request.path, snapshotTs: request.snapshotTs });
      return run(request);
    };
    try {
      await data(gateway.url, POSTS_WITH_AUTHORS);
    } finally {
      executor.run = run;
    }
    expect(reads.filter((read) => read.path.startsWith("authors:")).length).toBe(10);
    const snapshots = new Set(reads.map((read) => read.snapshotTs));
    expect(snapshots.size).toBe(1);
    expect([...snapshots][0]).toBeDefined();
  });

  it("reads an id twice in one operation only once", async () => {
    const author = seeded.authors[0] ?? "";
    const before = queryExecutions();
    const result = await data(
      gateway.url,
      `query ($author: ID!) {
        a: postsByAuthor(author: $author) { authorDoc { name } }
        b: postsAuthorCard(id: $author) { name idDoc { name } }
      }`,
      { author },
    );
    expect((result["b"] as { idDoc: { name: string } }).idDoc).toEqual({ name: "author 0" });
    expect((result["a"] as unknown[]).length).toBe(10);
    // Two root queries, and one read of author 0 shared by 11 relation fields.
    expect(queryExecutions() - before).toBe(3);
  });

  it("resolves a deleted target to null, not an error", async () => {
    const client = new ConvexHttpClient(backend.url, { logger: false });
    const author = await client.mutation(typedApi.createAuthor, { name: "gone soon" });
    const postId = await client.mutation(typedApi.createPost, {
      title: "orphan",
      body: "x",
      author,
      tags: [],
    });
    const query = `query ($id: ID!) { postsGet(id: $id) { title authorDoc { name } } }`;
    const before = await data(gateway.url, query, { id: postId });
    expect(before["postsGet"]).toEqual({ title: "orphan", authorDoc: { name: "gone soon" } });
    await client.mutation(typedApi.removeAuthor, { id: author });
    const after = await post(gateway.url, { query, variables: { id: postId } });
    expect(after.json()).toEqual({ data: { postsGet: { title: "orphan", authorDoc: null } } });
    await client.mutation(typedApi.removePost, { id: postId });
  });

  it("refuses `first` out of range with BAD_USER_INPUT", async () => {
    for (const first of [0, -1, 1001]) {
      const answer = await post(gateway.url, {
        query: `{ postsList(first: ${first}) { pageInfo { hasNextPage } } }`,
      });
      expect(answer.json().errors?.[0]).toEqual(
        expect.objectContaining({
          message: `\`first\` must be between 1 and 1000, got ${first}.`,
          extensions: { code: "BAD_USER_INPUT" },
        }),
      );
    }
  });

  it("resolves each member of a discriminated union by its `kind`", async () => {
    const client = new ConvexHttpClient(backend.url, { logger: false });
    await client.mutation(typedApi.addComment, { post: seeded.posts[0] ?? "", text: "first!" });
    const result = await data(
      gateway.url,
      `{ feedTimeline {
          __typename
          ... on FeedTimelineResultPost { kind post { title authorDoc { name } } }
          ... on FeedTimelineResultComment { kind text postDoc { title } }
        } }`,
    );
    const timeline = result["feedTimeline"] as { __typename: string; kind: string }[];
    expect(timeline).toContainEqual({
      __typename: "FeedTimelineResultComment",
      kind: "comment",
      text: "first!",
      postDoc: { title: "post 0" },
    });
    expect(timeline.filter((item) => item.kind === "post")).toHaveLength(10);
    for (const item of timeline) {
      expect(item.__typename).toBe(
        item.kind === "post" ? "FeedTimelineResultPost" : "FeedTimelineResultComment",
      );
    }
  });
});
