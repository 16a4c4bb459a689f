/**
 * The typed fixture app (test/fixtures/typed_app: a blog with no `returns` validators) as tests
 * use it: its folder, seeding through the official client, and the shapes the gateway returns.
 */
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { REPO_ROOT } from "../../utils/backend.ts";

export const TYPED_APP_DIR = path.join(REPO_ROOT, "test/fixtures/typed_app");

export const typedApi = {
  createAuthor: makeFunctionReference<"mutation", { name: string }, string>("authors:create"),
  renameAuthor: makeFunctionReference<"mutation", { id: string; name: string }>("authors:rename"),
  createTag: makeFunctionReference<"mutation", { label: string }, string>("tags:create"),
  createPost: makeFunctionReference<
    "mutation",
    { title: string; body: string; author: string; tags: string[] },
    string
  >("posts:create"),
  removePost: makeFunctionReference<"mutation", { id: string }>("posts:remove"),
  removeAuthor: makeFunctionReference<"mutation", { id: string }>("authors:remove"),
  addComment: makeFunctionReference<"mutation", { post: string; text: string }, string>(
    "comments:add",
  ),
};

/** Creates `authors` authors and `posts` posts, post i by author i % authors (oldest first). */
export async function seedBlog(
  convexUrl: string,
  counts: { authors: number; posts: number },
): Promise<{ authors: string[]; posts: string[]; tag: string }> {
  const client = new ConvexHttpClient(convexUrl, { logger: false });
  const tag = await client.mutation(typedApi.createTag, { label: "news" });
  const authors: string[] = [];
  for (let i = 0; i < counts.authors; i++)
    authors.push(await client.mutation(typedApi.createAuthor, { name: `author ${i}` }));
  const posts: string[] = [];
  for (let i = 0; i < counts.posts; i++) {
    const author = authors[i % counts.authors] ?? "";
    posts.push(
      await client.mutation(typedApi.createPost, {
        title: `post ${i}`,
        body: "a few words here",
        author,
        tags: [tag],
      }),
    );
  }
  return { authors, posts, tag };
}

export interface PostConnection {
  edges: { cursor: string | null; node: { title: string; authorDoc: { name: string } | null } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
