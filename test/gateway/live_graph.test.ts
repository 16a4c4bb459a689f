/**
 * The typed graph live, over graphql-ws, on the typed fixture app:
 * - a relation read inside a subscription is a dependency: renaming the author pushes a new
 *   result to subscribers of the post list;
 * - a loaded page of a connection stays live as `usePaginatedQuery`'s pages do: an insert into
 *   page 1 grows page 1 (page 2, loaded after page 1's end cursor, neither gains nor loses a
 *   post), and a delete shrinks only the page that held the post;
 * - a page that grows past twice its `first` is split as `usePaginatedQuery` splits it: its
 *   posts stay the same, in order, but each Convex query behind it stays at most 2x `first`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConvexHttpClient } from "convex/browser";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import {
  record,
  startTestGateway,
  wsClient,
  type TestGateway,
  type WsClient,
} from "./support/gateway.ts";
import { seedBlog, TYPED_APP_DIR, typedApi, type PostConnection } from "./support/typed_app.ts";

let backend: TestBackend;
let gateway: TestGateway;
let socket: WsClient;
let client: ConvexHttpClient;
let seeded: Awaited<ReturnType<typeof seedBlog>>;

beforeAll(async () => {
  backend = await startTestBackend({ dir: TYPED_APP_DIR });
  gateway = await startTestGateway(backend.url, { dir: TYPED_APP_DIR });
  socket = wsClient(gateway.url);
  client = new ConvexHttpClient(backend.url, { logger: false });
  seeded = await seedBlog(backend.url, { authors: 2, posts: 6 });
});

afterAll(async () => {
  await socket.dispose();
  await gateway.close();
  await backend.close();
});

function titles(result: { data?: Record<string, unknown> | null }, field: string): string[] {
  const connection = result.data?.[field] as PostConnection;
  return connection.edges.map((edge) => edge.node.title);
}

describe("a live relation", () => {
  it("pushes a new result when the related document changes", async () => {
    const author = seeded.authors[0] ?? "";
    using posts = record(socket, {
      query: `subscription ($author: ID!) { postsByAuthor(author: $author) { title authorDoc { name } } }`,
      variables: { author },
    });
    const first = await posts.next("the first result");
    expect(first.data?.["postsByAuthor"]).toEqual([
      { title: "post 0", authorDoc: { name: "author 0" } },
      { title: "post 2", authorDoc: { name: "author 0" } },
      { title: "post 4", authorDoc: { name: "author 0" } },
    ]);

    // Only the author changes: no post does, yet the subscription re-runs its relation reads.
    await client.mutation(typedApi.renameAuthor, { id: author, name: "Ada" });
    const second = await posts.next("the result after the rename");
    expect(second.data?.["postsByAuthor"]).toEqual([
      { title: "post 0", authorDoc: { name: "Ada" } },
      { title: "post 2", authorDoc: { name: "Ada" } },
      { title: "post 4", authorDoc: { name: "Ada" } },
    ]);
  });
});

const PAGE = `subscription ($after: String) {
  postsList(first: 3, after: $after) {
    edges { cursor node { title authorDoc { name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe("a live connection", () => {
  it("keeps each loaded page's bounds: no gap and no duplicate across inserts and deletes", async () => {
    using page1 = record(socket, { query: PAGE, variables: { after: null } });
    const first = await page1.next("page 1");
    expect(titles(first, "postsList")).toEqual(["post 5", "post 4", "post 3"]);
    const endCursor = (first.data?.["postsList"] as PostConnection).pageInfo.endCursor;
    using page2 = record(socket, { query: PAGE, variables: { after: endCursor } });
    expect(titles(await page2.next("page 2"), "postsList")).toEqual(["post 2", "post 1", "post 0"]);

    // A new post is the newest: it lands in page 1, which grows to 4 (as a usePaginatedQuery
    // page does) instead of pushing "post 3" out of both pages.
    const fresh = await client.mutation(typedApi.createPost, {
      title: "post new",
      body: "x",
      author: seeded.authors[1] ?? "",
      tags: [],
    });
    const grown = await page1.next("page 1 after the insert");
    expect(titles(grown, "postsList")).toEqual(["post new", "post 5", "post 4", "post 3"]);
    expect((grown.data?.["postsList"] as PostConnection).pageInfo.endCursor).toBe(endCursor);

    // A delete in page 2 shrinks page 2 only.
    await client.mutation(typedApi.removePost, { id: seeded.posts[1] ?? "" });
    expect(titles(await page2.next("page 2 after the delete"), "postsList")).toEqual([
      "post 2",
      "post 0",
    ]);
    await client.mutation(typedApi.removePost, { id: fresh });
    expect(titles(await page1.next("page 1 after the delete"), "postsList")).toEqual([
      "post 5",
      "post 4",
      "post 3",
    ]);
    // Page 2 saw no change from page 1's insert and delete.
    expect(page2.pending).toBe(0);
  });

  it("splits a page that grew past twice its size, keeping every post in order", async () => {
    const query = PAGE.replace("first: 3", "first: 2");
    using page1 = record(socket, { query, variables: { after: null } });
    const first = await page1.next("page 1");
    const loaded = titles(first, "postsList");
    expect(loaded).toHaveLength(2);
    const endCursor = (first.data?.["postsList"] as PostConnection).pageInfo.endCursor;
    using page2 = record(socket, { query, variables: { after: endCursor } });
    const page2Titles = titles(await page2.next("page 2"), "postsList");

    // Seven new posts, each the newest: all land in page 1 (as in a chat, where the newest page
    // keeps growing). Past 4 posts (2 x first) its Convex query is split in two, and so on.
    const added: string[] = [];
    let latest = first;
    for (let i = 0; i < 7; i++) {
      const title = `split ${i}`;
      await client.mutation(typedApi.createPost, {
        title,
        body: "x",
        author: seeded.authors[0] ?? "",
        tags: [],
      });
      added.unshift(title);
      do latest = await page1.next(`page 1 with ${title}`);
      while (!titles(latest, "postsList").includes(title));
      // Every result shows the whole page, in order, nothing twice: a split is shown only once
      // both halves have results.
      expect(titles(latest, "postsList")).toEqual([...added, ...loaded]);
    }
    const connection = latest.data?.["postsList"] as PostConnection;
    expect(connection.pageInfo.endCursor).toBe(endCursor);
    // Each Convex query behind the page ends at an edge with a cursor: no part holds more than
    // 2 x first posts, and the last part still ends at the page's end.
    const partSizes: number[] = [];
    let size = 0;
    for (const edge of connection.edges) {
      size++;
      if (edge.cursor !== null) {
        partSizes.push(size);
        size = 0;
      }
    }
    expect(size).toBe(0);
    expect(partSizes.length).toBeGreaterThan(1);
    expect(Math.max(...partSizes)).toBeLessThanOrEqual(4);
    expect(connection.edges.at(-1)?.cursor).toBe(endCursor);
    // Page 2 neither gained nor lost a post.
    expect(page2.pending).toBe(0);
    expect(page2Titles).toHaveLength(2);
  });
});
