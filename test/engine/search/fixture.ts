/**
 * The search fixture app (`test/fixtures/search_app`): typed references to its functions.
 */
import path from "node:path";
import {
  makeFunctionReference,
  type PaginationOptions,
  type PaginationResult,
} from "convex/server";
import { REPO_ROOT } from "../../utils/backend.ts";

export const SEARCH_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "search_app");

export type Article = {
  _id: string;
  _creationTime: number;
  body: string;
  channel: string;
  author: string;
  title?: string;
  embedding?: number[];
};

type ArticleFields = Omit<Article, "_id" | "_creationTime">;
type Args = Record<string, unknown>;

export const fns = {
  search: makeFunctionReference<
    "query",
    { text: string; channel?: string; author?: string; limit?: number },
    Article[]
  >("articles:search"),
  searchAll: makeFunctionReference<"query", { text: string }, Article[]>("articles:searchAll"),
  searchByOthers: makeFunctionReference<
    "query",
    { text: string; notAuthor: string },
    string | null
  >("articles:searchByOthers"),
  searchPage: makeFunctionReference<
    "query",
    { text: string; paginationOpts: PaginationOptions },
    PaginationResult<Article>
  >("articles:searchPage"),
  insert: makeFunctionReference<"mutation", ArticleFields, string>("articles:insert"),
  insertMany: makeFunctionReference<"mutation", { body: string; count: number }, null>(
    "articles:insertMany",
  ),
  setBody: makeFunctionReference<"mutation", { id: string; body: string }, null>(
    "articles:setBody",
  ),
  remove: makeFunctionReference<"mutation", { id: string }, null>("articles:remove"),
  insertAndSearch: makeFunctionReference<
    "mutation",
    { body: string; text: string },
    { id: string; found: string[] }
  >("articles:insertAndSearch"),
  misuse: makeFunctionReference<"query", { kind: string }, unknown>("articles:misuse"),
  insertOther: makeFunctionReference<"mutation", { body: string }, string>("others:insert"),
  similar: makeFunctionReference<
    "action",
    { vector: number[]; limit?: number; channels?: string[] },
    { _id: string; _score: number }[]
  >("vectors:similar"),
  vectorMisuse: makeFunctionReference<"action", { kind: string }, unknown>("vectors:misuse"),
} satisfies Record<string, unknown>;

export type { Args };
