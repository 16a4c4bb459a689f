/**
 * Full text search through the official `convex` client against the search fixture app: relevance
 * order and prefix matching, filter fields, `.filter`/`.first`, pagination returning each match
 * once, a mutation's search seeing its own insert, Convex's errors for misused searches, and a live
 * search rerun exactly by the commits that could change it (counted in the engine's stats).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  httpClient,
  record,
  serve,
  syncClient,
  type SyncClient,
} from "../../sync/support/clients.ts";
import type { TestBackend } from "../../utils/backend.ts";
import type { PaginationResult } from "convex/server";
import { fns, SEARCH_APP_DIR, type Article } from "./fixture.ts";
import { step } from "../../utils/waits.ts";

let backend: TestBackend;
let client: SyncClient;

/** The fixture corpus: (body, channel, author). */
const CORPUS: [string, string, string][] = [
  ["the quick brown fox jumps over the lazy dog", "news", "ann"],
  ["fox fox fox: a story about a fox", "news", "bob"],
  ["brown bread recipe", "food", "ann"],
  ["Foxes and wolves, a field guide", "nature", "cid"],
  ["pasta with tomato sauce", "food", "bob"],
];

beforeAll(async () => {
  backend = await serve({ dir: SEARCH_APP_DIR });
  client = syncClient(backend.url);
  for (const [body, channel, author] of CORPUS) {
    await step(client.mutation(fns.insert, { body, channel, author }), `insert ${body}`);
  }
});

afterAll(async () => {
  await client[Symbol.asyncDispose]();
  await backend[Symbol.asyncDispose]();
});

const bodies = (docs: { body: string }[]) => docs.map((doc) => doc.body);

describe("text search", () => {
  it("ranks by relevance (BM25): more occurrences in a shorter text first", async () => {
    const found = await step(client.query(fns.search, { text: "fox" }), "search fox");
    // "fox" is a prefix too, so "Foxes ..." matches (with a lower weight).
    expect(bodies(found)).toEqual([
      "fox fox fox: a story about a fox",
      "the quick brown fox jumps over the lazy dog",
      "Foxes and wolves, a field guide",
    ]);
  });

  it("matches the last term as a prefix, the others exactly, case-insensitively", async () => {
    expect(bodies(await client.query(fns.search, { text: "BRE" }))).toEqual(["brown bread recipe"]);
    // "bre" is not the last term: exact only, so only "pasta" matches.
    expect(bodies(await client.query(fns.search, { text: "bre pasta" }))).toEqual([
      "pasta with tomato sauce",
    ]);
    expect(await client.query(fns.search, { text: "   ...  " })).toEqual([]);
  });

  it("applies filter fields (all of them) and then .filter / .first", async () => {
    const news = await client.query(fns.search, { text: "fox brown", channel: "news" });
    expect(bodies(news)).toEqual([
      "the quick brown fox jumps over the lazy dog",
      "fox fox fox: a story about a fox",
    ]);
    const annNews = await client.query(fns.search, { text: "fox", channel: "news", author: "ann" });
    expect(bodies(annNews)).toEqual(["the quick brown fox jumps over the lazy dog"]);
    expect(await client.query(fns.search, { text: "fox", channel: "food" })).toEqual([]);
    expect(await client.query(fns.search, { text: "fox", limit: 1 })).toHaveLength(1);
    expect(await client.query(fns.searchByOthers, { text: "fox", notAuthor: "bob" })).toBe(
      "the quick brown fox jumps over the lazy dog",
    );
  });

  it("paginates through the results, each match exactly once, in relevance order", async () => {
    const all = bodies(await client.query(fns.searchAll, { text: "a the brown fox pasta" }));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page: PaginationResult<Article> = await client.query(fns.searchPage, {
        text: "a the brown fox pasta",
        paginationOpts: { numItems: 2, cursor },
      });
      seen.push(...bodies(page.page));
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    expect(all.length).toBe(5);
    expect(seen).toEqual(all);
  });

  it("continues a page of no items where it started, skipping nothing", async () => {
    const text = "a the brown fox pasta";
    const whole = await client.query(fns.searchPage, {
      text,
      paginationOpts: { numItems: 2, cursor: null },
    });
    const none = await client.query(fns.searchPage, {
      text,
      paginationOpts: { numItems: 0, cursor: null },
    });
    expect(none.page).toEqual([]);
    const first = await client.query(fns.searchPage, {
      text,
      paginationOpts: { numItems: 2, cursor: none.continueCursor },
    });
    expect(bodies(first.page)).toEqual(bodies(whole.page));
  });

  it("reads at least one row a page even at maximumRowsRead 0, so paging ends", async () => {
    const text = "a the brown fox pasta";
    const all = bodies(await client.query(fns.searchAll, { text }));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages <= all.length; pages++) {
      const page: PaginationResult<Article> = await client.query(fns.searchPage, {
        text,
        paginationOpts: { numItems: 2, cursor, maximumRowsRead: 0 },
      });
      expect(page.page.length).toBeLessThanOrEqual(1);
      seen.push(...bodies(page.page));
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    expect(seen).toEqual(all);
  });

  it("refuses a cursor of another search with Convex's InvalidCursor", async () => {
    const page = await client.query(fns.searchPage, {
      text: "a the brown fox pasta",
      paginationOpts: { numItems: 2, cursor: null },
    });
    expect(page.isDone).toBe(false);
    const other = await client
      .query(fns.searchPage, {
        text: "fox",
        paginationOpts: { numItems: 2, cursor: page.continueCursor },
      })
      .then(
        () => "answered",
        (error: unknown) => String(error),
      );
    expect(other).toContain(
      "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor is from a different query.",
    );
  });

  it("lets a mutation's search see its own insert", async () => {
    const result = await client.mutation(fns.insertAndSearch, {
      body: "zebra crossing",
      text: "zebr",
    });
    expect(result.found).toEqual([result.id]);
  });

  it("fails misused searches with Convex's errors, and keeps serving", async () => {
    const http = httpClient(backend.url);
    const expectations: Record<string, string> = {
      noIndex: "Index articles.nope not found.",
      staged:
        "Index articles.search_title is currently staged and not available to query until it is enabled",
      wrongField:
        'Search query against articles.search_body contains a search filter against "title", which doesn\'t match the indexed `searchField` "body".',
      badFilter:
        'Search query against articles.search_body contains an equality filter on "title" but that field isn\'t indexed for filtering in `filterFields`.',
      tooManyFilters:
        "Search query against articles.search_body has too many filter conditions. Max: 8 Actual: 9",
      missingSearch:
        'Search query against articles.search_body does not contain any search filters. You must include a search filter like `q.search("body", searchText)`.',
    };
    for (const [kind, message] of Object.entries(expectations)) {
      await expect(http.query(fns.misuse, { kind }), kind).rejects.toThrow(message);
    }
    expect(await http.query(fns.search, { text: "pasta" })).toHaveLength(1);
  });

  it("fails reading past 1,024 candidates with Convex's error, while take() stays fine", async () => {
    for (let i = 0; i < 3; i++) {
      await step(client.mutation(fns.insertMany, { body: "bulkword", count: 400 }), "bulk insert");
    }
    expect(await client.query(fns.search, { text: "bulkword", limit: 5 })).toHaveLength(5);
    await expect(client.query(fns.searchAll, { text: "bulkword" })).rejects.toThrow(
      "Search query scanned too many documents (fetched 1024).",
    );
  });
});

describe("reactive search", () => {
  it("reruns a live search exactly for commits that could match its terms and filters", async () => {
    const stats = backend.engine.liveQueries.stats;
    using live = record(client, fns.search, { text: "comet", channel: "space" });
    await live.atLeast(1, "the first result");
    expect(live.latest).toEqual([]);
    const before = stats.executions;

    // Another table, a non-matching term, a matching term with another filter value: no rerun.
    // (Each mutation resolves only after its Transition reached this client.)
    await step(client.mutation(fns.insertOther, { body: "comet" }), "other table");
    await step(
      client.mutation(fns.insert, { body: "asteroid belt", channel: "space", author: "a" }),
      "other term",
    );
    await step(
      client.mutation(fns.insert, { body: "comet tail", channel: "news", author: "a" }),
      "other channel",
    );
    expect(stats.executions).toBe(before);
    expect(live.values).toHaveLength(1);

    // A match: exactly one rerun, and the new result delivered.
    const id = await step(
      client.mutation(fns.insert, { body: "a bright comet", channel: "space", author: "a" }),
      "match",
    );
    await live.until(() => live.latest.length === 1, "the match delivered");
    expect(stats.executions).toBe(before + 1);

    // Editing the match's text away reruns it (its old revision matched); deleting it no more.
    await step(client.mutation(fns.setBody, { id, body: "a bright planet" }), "edit away");
    await live.until(() => live.latest.length === 0, "the match gone");
    expect(stats.executions).toBe(before + 2);
    await step(client.mutation(fns.remove, { id }), "delete");
    expect(stats.executions).toBe(before + 2);

    // Prefix: "comets" matches the last term "comet" as a prefix.
    await step(
      client.mutation(fns.insert, { body: "comets", channel: "space", author: "b" }),
      "prefix match",
    );
    await live.until(() => live.latest.length === 1, "the prefix match delivered");
    expect(stats.executions).toBe(before + 3);
    expect(live.errors).toEqual([]);
  });
});
