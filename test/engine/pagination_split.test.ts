/**
 * The page-splitting hints of `.paginate()`, which the official client's `usePaginatedQuery`
 * acts on: every page of two or more scanned rows carries a `splitCursor` at its middle row, so
 * (cursor, splitCursor] and (splitCursor, continueCursor] are the page's two halves (in either
 * order, filters included); a page cut short by `maximumRowsRead` or `maximumBytesRead` says
 * `SplitRequired`; a normal page says nothing.
 */
import type { PaginationResult } from "convex/server";
import { describe, expect, it } from "vitest";
import { fixture, serve, type Order, type Served } from "./support/fixture.ts";
import { step } from "../utils/waits.ts";

/** Group "p" holds ranks 0..11. */
async function seeded(): Promise<Served> {
  const app = await serve();
  const items = Array.from({ length: 12 }, (_, rank) => ({ group: "p", rank, label: `p${rank}` }));
  await step(app.client.mutation(fixture.items.insertMany, { items }), "seeding items");
  return app;
}

interface PageArgs {
  readonly cursor: string | null;
  readonly endCursor?: string;
  readonly numItems?: number;
  readonly order?: Order;
  readonly evenOnly?: boolean;
  readonly maximumRowsRead?: number;
  readonly maximumBytesRead?: number;
}

function pageOf(app: Served, args: PageArgs): Promise<PaginationResult<number>> {
  const { order = "asc", evenOnly = false, numItems = 6, ...options } = args;
  return step(
    app.client.query(fixture.items.page, {
      group: "p",
      evenOnly,
      order,
      paginationOpts: { numItems, ...options },
    }),
    `a page ${JSON.stringify(args)}`,
  );
}

describe("splitCursor", () => {
  it("splits a page into two halves that together are the page, in both orders", async () => {
    await using app = await seeded();
    for (const order of ["asc", "desc"] as const) {
      const whole = await pageOf(app, { cursor: null, order });
      expect(whole.page).toHaveLength(6);
      expect(whole.pageStatus).toBeNull();
      const split = whole.splitCursor;
      if (typeof split !== "string") throw new Error(`no splitCursor (${order})`);
      const end = whole.continueCursor;
      const first = await pageOf(app, { cursor: null, endCursor: split, order });
      const second = await pageOf(app, { cursor: split, endCursor: end, order });
      expect(first.page, order).toEqual(whole.page.slice(0, 3));
      expect(second.page, order).toEqual(whole.page.slice(3));
      expect(second.continueCursor).toBe(end);
    }
  });

  it("splits at the middle row scanned, filtered rows included", async () => {
    await using app = await seeded();
    // Even ranks 0..10 scan rows 0..10 (11 rows): the middle scanned row is rank 5.
    const whole = await pageOf(app, { cursor: null, evenOnly: true });
    expect(whole.page).toEqual([0, 2, 4, 6, 8, 10]);
    const split = whole.splitCursor ?? "";
    const first = await pageOf(app, { cursor: null, endCursor: split, evenOnly: true });
    const second = await pageOf(app, {
      cursor: split,
      endCursor: whole.continueCursor,
      evenOnly: true,
    });
    expect(first.page).toEqual([0, 2, 4]);
    expect(second.page).toEqual([6, 8, 10]);
  });

  it("is null for a page that scanned fewer than two rows", async () => {
    await using app = await seeded();
    const one = await pageOf(app, { cursor: null, numItems: 1 });
    expect(one.page).toEqual([0]);
    expect(one.splitCursor).toBeNull();
  });
});

describe("pageStatus", () => {
  it("is SplitRequired when maximumRowsRead cuts the page short", async () => {
    await using app = await seeded();
    const cut = await pageOf(app, { cursor: null, maximumRowsRead: 4 });
    expect(cut.page).toEqual([0, 1, 2, 3]);
    expect(cut.pageStatus).toBe("SplitRequired");
    expect(cut.isDone).toBe(false);
    // The rest follows from its continueCursor.
    const next = await pageOf(app, { cursor: cut.continueCursor });
    expect(next.page).toEqual([4, 5, 6, 7, 8, 9]);
    // A limit the page does not reach changes nothing.
    const roomy = await pageOf(app, { cursor: null, maximumRowsRead: 100 });
    expect(roomy.page).toHaveLength(6);
    expect(roomy.pageStatus).toBeNull();
  });

  it("is SplitRequired when maximumBytesRead cuts the page short", async () => {
    await using app = await seeded();
    // Each item is some tens of bytes: the page stops after the first row past the budget.
    const cut = await pageOf(app, { cursor: null, maximumBytesRead: 1 });
    expect(cut.page).toEqual([0]);
    expect(cut.pageStatus).toBe("SplitRequired");
  });

  it("cannot know that a limit reached with the range's last row cut nothing", async () => {
    await using app = await seeded();
    // Reading stops before looking past the 12th row, so the page may be incomplete.
    const last = await pageOf(app, { cursor: null, numItems: 20, maximumRowsRead: 12 });
    expect(last.page).toHaveLength(12);
    expect(last.pageStatus).toBe("SplitRequired");
    expect(last.isDone).toBe(false);
    const after = await pageOf(app, { cursor: last.continueCursor });
    expect(after).toMatchObject({ page: [], isDone: true, pageStatus: null });
  });

  it("ends a page at the transaction's 16 MiB read limit instead of failing, with no gap after", async () => {
    await using app = await serve();
    // 24 items of 900 kB in group "big": 21.6 MB, more than one function may read.
    const note = "n".repeat(900_000);
    for (let batch = 0; batch < 6; batch++) {
      const items = Array.from({ length: 4 }, (_, i) => {
        const rank = batch * 4 + i;
        return { group: "big", rank, label: `b${rank}`, note };
      });
      await step(app.client.mutation(fixture.items.insertMany, { items }), `batch ${batch}`);
    }
    const page = (cursor: string | null): Promise<PaginationResult<number>> =>
      step(
        app.client.query(fixture.items.page, {
          group: "big",
          evenOnly: false,
          order: "asc",
          paginationOpts: { numItems: 30, cursor },
        }),
        "a page of big items",
      );
    const first = await page(null);
    expect(first.pageStatus).toBe("SplitRequired");
    expect(first.isDone).toBe(false);
    expect(first.page.length).toBeGreaterThan(10);
    expect(first.page.length).toBeLessThan(24);
    const rest = await page(first.continueCursor);
    expect([...first.page, ...rest.page]).toEqual(Array.from({ length: 24 }, (_, rank) => rank));
    expect(rest.isDone).toBe(true);
  });

  it("always reads a page's first row, so a limit of zero still makes progress, in both orders", async () => {
    await using app = await seeded();
    for (const order of ["asc", "desc"] as const) {
      const first = await pageOf(app, { cursor: null, order, maximumRowsRead: 0 });
      expect(first.page, order).toEqual([order === "asc" ? 0 : 11]);
      expect(first.pageStatus).toBe("SplitRequired");
      const next = await pageOf(app, { cursor: first.continueCursor, order });
      expect(next.page, order).toEqual(order === "asc" ? [1, 2, 3, 4, 5, 6] : [10, 9, 8, 7, 6, 5]);
      const bytes = await pageOf(app, { cursor: null, order, maximumBytesRead: 0 });
      expect(bytes.page, order).toEqual([order === "asc" ? 0 : 11]);
    }
  });
});
