/**
 * The typed graph live, over graphql-ws, on the typed fixture app:
 * - a relation read inside a subscription is a dependency: renaming the author pushes a new
 *   result to subscribers of the post list;
 * - a loaded page of a connection stays live as `usePaginatedQuery`'s pages do: an insert into
 *   page 1 grows page 1 (page 2, loaded after page 1's end cursor, neither gains nor loses a
 *   post), and a delete shrinks only the page that held the post.
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
});
