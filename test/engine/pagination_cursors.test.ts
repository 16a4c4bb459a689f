/**
 * Pagination cursors are tied to the query they came from, as Convex's are: a cursor that does
 * not parse, or one from another query (another order, range, filter, index or table; a query
 * journal's end cursor too), fails the function with `InvalidCursor` instead of quietly answering
 * some page. The official client's `usePaginatedQuery` resets its pages on an error whose message
 * holds "InvalidCursor", so the error must reach it in that form, over HTTP and over the sync
 * protocol alike.
 */
import { ConvexClient } from "convex/browser";
import {
  makeFunctionReference,
  type PaginationOptions,
  type PaginationResult,
} from "convex/server";
import { describe, expect, it } from "vitest";
import { failure, fixture, serve, type Order, type Served } from "./support/fixture.ts";
import { RawSyncSocket } from "../sync/support/raw_socket.ts";
import { step } from "../utils/waits.ts";

/** Convex's text for a cursor handed to another query (crates/database `invalid_cursor`). */
const FROM_ANOTHER_QUERY =
  "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor is from a different query.";
const UNPARSEABLE = "InvalidCursor: Failed to parse cursor";

const pageElsewhere = makeFunctionReference<
  "query",
  { walk: "itemsByCreation" | "values"; paginationOpts: PaginationOptions },
  PaginationResult<string>
>("items:pageElsewhere");

/** Group "p" holds ranks 0..11, group "q" ranks 0..2; one stored value. */
async function seeded(): Promise<Served> {
  const app = await serve();
  const items = [
    ...Array.from({ length: 12 }, (_, rank) => ({ group: "p", rank, label: `p${rank}` })),
    ...Array.from({ length: 3 }, (_, rank) => ({ group: "q", rank, label: `q${rank}` })),
  ];
  await step(app.client.mutation(fixture.items.insertMany, { items }), "seeding items");
  await step(app.client.mutation(fixture.values.store, { label: "v", value: 1 }), "a value");
  return app;
}

interface PageArgs {
  group?: string;
  evenOnly?: boolean;
  order?: Order;
  numItems?: number;
  cursor: string | null;
  endCursor?: string;
}

function pageOf(app: Served, args: PageArgs): Promise<PaginationResult<number>> {
  const paginationOpts: PaginationOptions = {
    numItems: args.numItems ?? 3,
    cursor: args.cursor,
    ...(args.endCursor !== undefined ? { endCursor: args.endCursor } : {}),
  };
  return app.client.query(fixture.items.page, {
    group: args.group ?? "p",
    evenOnly: args.evenOnly ?? false,
    order: args.order ?? "asc",
    paginationOpts,
  });
}

describe("a cursor that is not one", () => {
  it("fails with InvalidCursor, whether garbage, empty, cut short or edited", async () => {
    await using app = await seeded();
    const real = (await step(pageOf(app, { cursor: null }), "the first page")).continueCursor;
    const edited = `${real.slice(0, 8)}${real[8] === "A" ? "B" : "A"}${real.slice(9)}`;
    const cases = [
      ["garbage", "garbage"],
      ["empty", ""],
      ["base64 of nothing much", "AAAA"],
      ["cut short by one character", real.slice(0, -1)],
      ["cut short by a third", real.slice(0, Math.floor((real.length * 2) / 3))],
      ["edited in the middle", edited],
      ["not base64url", "!!"],
    ] as const;
    for (const [what, cursor] of cases) {
      const error = await failure(pageOf(app, { cursor }), `a page after a cursor ${what}`);
      expect(error.message, what).toContain(UNPARSEABLE);
    }
  });

  it("fails as an endCursor too", async () => {
    await using app = await seeded();
    const error = await failure(pageOf(app, { cursor: null, endCursor: "garbage" }));
    expect(error.message).toContain(UNPARSEABLE);
  });
});

describe("a cursor from another query", () => {
  it("fails with Convex's InvalidCursor text: other order, range, filter, index or table", async () => {
    await using app = await seeded();
    const first = await step(pageOf(app, { cursor: null }), "the first page");
    expect(first.page).toEqual([0, 1, 2]);
    const cursor = first.continueCursor;
    // Thunks: each request starts only when its turn comes.
    const others: readonly (readonly [string, () => Promise<unknown>])[] = [
      ["descending order", () => pageOf(app, { cursor, order: "desc" })],
      ["another eq range", () => pageOf(app, { cursor, group: "q" })],
      ["a filter", () => pageOf(app, { cursor, evenOnly: true })],
      [
        "another index",
        () =>
          app.client.query(pageElsewhere, {
            walk: "itemsByCreation",
            paginationOpts: { numItems: 3, cursor },
          }),
      ],
      [
        "another table",
        () =>
          app.client.query(pageElsewhere, {
            walk: "values",
            paginationOpts: { numItems: 3, cursor },
          }),
      ],
    ];
    for (const [what, answer] of others) {
      const error = await failure(answer(), `a page of ${what}`);
      expect(error.message, what).toContain(FROM_ANOTHER_QUERY);
    }
  });

  it("fails for the cursor past the end and for an endCursor alike", async () => {
    await using app = await seeded();
    const all = await step(pageOf(app, { cursor: null, group: "q", numItems: 10 }), "group q");
    expect(all.isDone).toBe(true);
    const endError = await failure(pageOf(app, { cursor: all.continueCursor }), "after q's end");
    expect(endError.message).toContain(FROM_ANOTHER_QUERY);

    const first = await step(pageOf(app, { cursor: null, order: "desc" }), "a descending page");
    const boundError = await failure(
      pageOf(app, { cursor: null, endCursor: first.continueCursor }),
      "an ascending page ending at a descending cursor",
    );
    expect(boundError.message).toContain(FROM_ANOTHER_QUERY);
  });

  it("fails for a cursor that is no string, handed to paginate past the validators", async () => {
    await using app = await seeded();
    const pageFromAnyCursor = makeFunctionReference<"query", { cursor: unknown }, number>(
      "items:pageFromAnyCursor",
    );
    for (const cursor of [1234, { key: "p0" }, true]) {
      const error = await failure(
        app.client.query(pageFromAnyCursor, { cursor }),
        `the cursor ${JSON.stringify(cursor)}`,
      );
      expect(error.message).toContain(`${UNPARSEABLE} "${JSON.stringify(cursor)}".`);
    }
    expect(await step(app.client.query(pageFromAnyCursor, { cursor: null }), "no cursor")).toBe(1);
  });

  it("reaches a ConvexClient over the sync protocol as usePaginatedQuery expects", async () => {
    await using app = await seeded();
    const cursor = (await step(pageOf(app, { cursor: null }), "the first page")).continueCursor;
    const client = new ConvexClient(app.url, { logger: false });
    try {
      const args = { group: "p", evenOnly: false, order: "desc" as const };
      const wrong = await failure(
        client.query(fixture.items.page, { ...args, paginationOpts: { numItems: 3, cursor } }),
        "a page over the sync protocol",
      );
      // usePaginatedQuery's test: `error.message.includes("InvalidCursor")`.
      expect(wrong.message).toContain(FROM_ANOTHER_QUERY);
      const garbage = await failure(
        client.query(fixture.items.page, {
          ...args,
          paginationOpts: { numItems: 3, cursor: "garbage" },
        }),
        "a garbage cursor over the sync protocol",
      );
      expect(garbage.message).toContain(UNPARSEABLE);
    } finally {
      await client.close();
    }
  });
});

describe("a query journal", () => {
  // Convex's case for fingerprints: a data-dependent paginated query whose range changed between
  // runs. Its journal's end cursor is then another query's, and the query fails with InvalidCursor.
  it("whose end cursor is another query's fails the query with InvalidCursor", async () => {
    await using app = await seeded();
    await using socket = await RawSyncSocket.connect(app.url);
    const add = (queryId: number, group: string, journal?: string | null) => ({
      type: "Add",
      queryId,
      udfPath: "items:page",
      args: [
        { group, evenOnly: false, order: "asc", paginationOpts: { numItems: 2, cursor: null } },
      ],
      ...(journal !== undefined ? { journal } : {}),
    });
    socket.send({
      type: "ModifyQuerySet",
      baseVersion: 0,
      newVersion: 1,
      modifications: [add(0, "p")],
    });
    const first = (await socket.expect("Transition")).modifications[0] as {
      type: string;
      journal: string | null;
    };
    expect(first.type).toBe("QueryUpdated");
    expect(typeof first.journal).toBe("string");
    socket.send({
      type: "ModifyQuerySet",
      baseVersion: 1,
      newVersion: 2,
      modifications: [add(1, "q", first.journal)],
    });
    const failed = (await socket.expect("Transition")).modifications[0] as {
      type: string;
      errorMessage: string;
    };
    expect(failed.type).toBe("QueryFailed");
    expect(failed.errorMessage).toContain(FROM_ANOTHER_QUERY);
  });
});

describe("a cursor of the same query", () => {
  it("continues with any page size, as a cursor and as an endCursor", async () => {
    await using app = await seeded();
    const first = await step(pageOf(app, { cursor: null }), "the first page");
    // The page size is not part of the query: the next page may be larger.
    const second = await step(pageOf(app, { cursor: first.continueCursor, numItems: 5 }));
    expect(second.page).toEqual([3, 4, 5, 6, 7]);
    // An endCursor bounds the page exactly, whatever the page size says.
    const bounded = await step(
      pageOf(app, { cursor: null, numItems: 1, endCursor: second.continueCursor }),
    );
    expect(bounded.page).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(bounded.continueCursor).toBe(second.continueCursor);
    // The last page's cursor is past the end: an empty, finished page.
    const rest = await step(pageOf(app, { cursor: second.continueCursor, numItems: 10 }));
    expect(rest.page).toEqual([8, 9, 10, 11]);
    expect(rest.isDone).toBe(true);
    const after = await step(pageOf(app, { cursor: rest.continueCursor }));
    expect(after).toMatchObject({ page: [], isDone: true });
  });

  it("continues where a page cut short by maximumRowsRead stopped", async () => {
    await using app = await seeded();
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 12; pages++) {
      const page: PaginationResult<number> = await step(
        app.client.query(fixture.items.page, {
          group: "p",
          evenOnly: true,
          order: "asc",
          paginationOpts: { numItems: 10, cursor, maximumRowsRead: 4 },
        }),
      );
      // Four rows read, two of them even: a short page that is not the last.
      if (!page.isDone) expect(page.page).toHaveLength(2);
      seen.push(...page.page);
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
    expect(seen).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it("of a page of no items continues where that page started, skipping nothing", async () => {
    await using app = await seeded();
    for (const order of ["asc", "desc"] as const) {
      const start = await step(pageOf(app, { cursor: null, numItems: 0, order }), order);
      expect(start.page).toEqual([]);
      const first = await step(pageOf(app, { cursor: start.continueCursor, order }));
      expect(first.page, order).toEqual(order === "asc" ? [0, 1, 2] : [11, 10, 9]);
      const none = await step(pageOf(app, { cursor: first.continueCursor, numItems: 0, order }));
      expect(none.page).toEqual([]);
      const next = await step(pageOf(app, { cursor: none.continueCursor, order }));
      expect(next.page, order).toEqual(order === "asc" ? [3, 4, 5] : [8, 7, 6]);
      // As an endCursor, the start bounds an empty page.
      const upTo = await step(
        pageOf(app, { cursor: null, endCursor: start.continueCursor, order }),
      );
      expect(upTo.page, order).toEqual([]);
    }
  });

  it("is the same cursor for the same position, whichever page size reached it", async () => {
    await using app = await seeded();
    const byThree = await step(pageOf(app, { cursor: null, numItems: 3 }));
    const byOne = await step(pageOf(app, { cursor: null, numItems: 1 }));
    const byTwo = await step(pageOf(app, { cursor: byOne.continueCursor, numItems: 2 }));
    expect(byTwo.continueCursor).toBe(byThree.continueCursor);
  });
});
