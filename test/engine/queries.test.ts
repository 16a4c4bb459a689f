/**
 * Database queries through the official client: index ranges and ordering, filters,
 * take/first/collect/unique, and pagination.
 *
 * The data: group "r" holds ranks 0..9 inserted in a shuffled order (so creation order is not
 * rank order), some with a nested `meta.color` and some with a `note`; groups "q" and "r\u0000"
 * sit next to "r" in the index to catch ranges that leak past an equality prefix.
 */
import type { PaginationResult } from "convex/server";
import type { GenericId, Value } from "convex/values";
import { describe, expect, it } from "vitest";
import {
  failure,
  fixture,
  serve,
  type ItemFields,
  type Order,
  type Served,
} from "./support/fixture.ts";
import { step } from "../utils/waits.ts";

/** Rank order of insertion in group "r". */
const SHUFFLED_RANKS = [5, 2, 8, 0, 9, 3, 7, 1, 6, 4];

function rItem(rank: number): ItemFields {
  const item: ItemFields = { group: "r", rank, label: `r${rank}` };
  if (rank === 2 || rank === 5) item.meta = { size: rank, color: "red" };
  if (rank === 7) item.meta = { size: rank, color: "blue" };
  if (rank === 1) item.meta = { size: rank };
  if (rank === 0 || rank === 4) item.note = `note ${rank}`;
  return item;
}

/** Every item in insertion order: "q" before, "r" shuffled, then the neighbour "r\u0000". */
const SEED: ItemFields[] = [
  ...[3, 0, 9].map((rank) => ({ group: "q", rank, label: `q${rank}` })),
  ...SHUFFLED_RANKS.map(rItem),
  { group: "r\u0000", rank: 4, label: "r-nul-4" },
];

async function seeded(): Promise<Served> {
  const app = await serve();
  await step(app.client.mutation(fixture.items.insertMany, { items: SEED }), "seeding");
  return app;
}

function labels(ranks: number[]): string[] {
  return ranks.map((rank) => `r${rank}`);
}

describe("index ranges and order", () => {
  interface Range {
    lower?: { op: "gt" | "gte"; value: number };
    upper?: { op: "lt" | "lte"; value: number };
  }
  const cases: ReadonlyArray<readonly [string, Range, number[]]> = [
    ["eq only", {}, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ["gt 3", { lower: { op: "gt", value: 3 } }, [4, 5, 6, 7, 8, 9]],
    ["gte 3", { lower: { op: "gte", value: 3 } }, [3, 4, 5, 6, 7, 8, 9]],
    ["lt 3", { upper: { op: "lt", value: 3 } }, [0, 1, 2]],
    ["lte 3", { upper: { op: "lte", value: 3 } }, [0, 1, 2, 3]],
    ["gt 2, lt 6", { lower: { op: "gt", value: 2 }, upper: { op: "lt", value: 6 } }, [3, 4, 5]],
    [
      "gte 2, lte 6",
      { lower: { op: "gte", value: 2 }, upper: { op: "lte", value: 6 } },
      [2, 3, 4, 5, 6],
    ],
    ["gte 7.5 (between keys)", { lower: { op: "gte", value: 7.5 } }, [8, 9]],
    ["lt 0.5 (between keys)", { upper: { op: "lt", value: 0.5 } }, [0]],
    ["gt 9 (past the end)", { lower: { op: "gt", value: 9 } }, []],
    ["lt 0 (before the start)", { upper: { op: "lt", value: 0 } }, []],
    ["gt 5, lt 5 (empty)", { lower: { op: "gt", value: 5 }, upper: { op: "lt", value: 5 } }, []],
    [
      "gte 5, lte 5 (one key)",
      { lower: { op: "gte", value: 5 }, upper: { op: "lte", value: 5 } },
      [5],
    ],
  ];

  it("selects an eq prefix, then lower and upper bounds, in both orders", async () => {
    await using app = await seeded();
    for (const [name, range, ranks] of cases) {
      for (const order of ["asc", "desc"] as const) {
        const result = await step(
          app.client.query(fixture.items.range, { group: "r", order, ...range }),
          `${name} ${order}`,
        );
        const expected = order === "asc" ? labels(ranks) : labels(ranks).reverse();
        expect(result, `${name} ${order}`).toEqual(expected);
      }
    }
    // Other groups are ranges of their own.
    expect(await step(app.client.query(fixture.items.range, { group: "q", order: "asc" }))).toEqual(
      ["q0", "q3", "q9"],
    );
    expect(
      await step(app.client.query(fixture.items.range, { group: "nope", order: "asc" })),
    ).toEqual([]);
  });

  it("orders by creation time, ascending and descending, with a lower bound and a limit", async () => {
    await using app = await seeded();
    const all = SEED.map((item) => item.label);
    const { client } = app;
    expect(await step(client.query(fixture.items.byCreationTime, { order: "asc" }))).toEqual(all);
    expect(await step(client.query(fixture.items.byCreationTime, { order: "desc" }))).toEqual(
      [...all].reverse(),
    );
    // A query without an index is a scan in creation order too.
    expect(await step(client.query(fixture.items.scan, { order: "asc" }))).toEqual(all);
    expect(await step(client.query(fixture.items.scan, { order: "desc" }))).toEqual(
      [...all].reverse(),
    );
    expect(
      await step(client.query(fixture.items.byCreationTime, { order: "desc", limit: 3 })),
    ).toEqual(all.slice(-3).reverse());

    // `_creationTime > t` where t is the fourth document's creation time.
    const times = await step(client.query(fixture.items.creationTimes, {}));
    expect(times.map((entry) => entry.label)).toEqual(all);
    // Creation times strictly increase, even within the one mutation that inserted them all.
    for (let i = 1; i < times.length; i++) {
      expect(times[i]!._creationTime).toBeGreaterThan(times[i - 1]!._creationTime);
    }
    const fourth = times[3]!;
    expect(
      await step(
        client.query(fixture.items.byCreationTime, { order: "asc", after: fourth._creationTime }),
      ),
    ).toEqual(all.slice(4));
    expect(
      await step(
        client.query(fixture.items.byCreationTime, {
          order: "desc",
          after: fourth._creationTime,
          limit: 2,
        }),
      ),
    ).toEqual(all.slice(-2).reverse());
  });
});

describe("filters", () => {
  type Which = (typeof FILTERS)[number];
  function predicateOf(which: Which): (item: ItemFields) => boolean {
    switch (which) {
      case "and":
        return (i) => i.rank >= 3 && i.rank < 6;
      case "or":
        return (i) => i.rank === 1 || i.rank === 8;
      case "not":
        return (i) => !(i.rank <= 6);
      case "neq":
        return (i) => i.rank !== 0;
      case "lt":
        return (i) => i.rank < 2;
      case "lte":
        return (i) => i.rank <= 2;
      case "gt":
        return (i) => i.rank > 7;
      case "gte":
        return (i) => i.rank >= 7;
      case "mod":
        return (i) => i.rank % 3 === 0;
      case "arithmetic":
        return (i) => (i.rank + 2 * i.rank - 1) / 2 > 10;
      case "neg":
        return (i) => -i.rank < -8;
      case "nestedField":
        return (i) => i.meta?.color === "red";
      case "missingField":
        return (i) => i.note === undefined;
      case "presentField":
        return (i) => i.note !== undefined;
    }
  }
  const FILTERS = [
    "and",
    "or",
    "not",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "mod",
    "arithmetic",
    "neg",
    "nestedField",
    "missingField",
    "presentField",
  ] as const;

  it("evaluates and/or/not, comparisons, arithmetic and nested field paths", async () => {
    await using app = await seeded();
    const rItems = SEED.filter((item) => item.group === "r");
    for (const which of FILTERS) {
      const expected = rItems.filter(predicateOf(which)).map((item) => item.label);
      // Guard: every filter keeps some documents and drops others.
      expect(expected.length, which).toBeGreaterThan(0);
      expect(expected.length, which).toBeLessThan(rItems.length);
      const result = await step(
        app.client.query(fixture.items.filtered, { group: "r", which }),
        which,
      );
      expect(result, which).toEqual(expected);
    }
  });
});

describe("take, first, collect and unique", () => {
  it("takes a prefix, the first document, or everything", async () => {
    await using app = await seeded();
    const { client } = app;
    const run = (n: number, order: Order, group = "r") =>
      step(client.query(fixture.items.takeFirstCollect, { group, n, order }));
    expect(await run(3, "asc")).toEqual({ take: ["r0", "r1", "r2"], first: "r0", count: 10 });
    expect(await run(3, "desc")).toEqual({ take: ["r9", "r8", "r7"], first: "r9", count: 10 });
    expect(await run(0, "asc")).toEqual({ take: [], first: "r0", count: 10 });
    expect((await run(100, "asc")).take).toEqual(labels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(await run(2, "asc", "empty")).toEqual({ take: [], first: null, count: 0 });
  });

  it("unique() returns the one match or null, and fails when two documents match", async () => {
    await using app = await seeded();
    const { client } = app;
    expect(await step(client.query(fixture.items.uniqueByRank, { group: "r", rank: 4 }))).toBe(
      "r4",
    );
    expect(
      await step(client.query(fixture.items.uniqueByRank, { group: "r", rank: 42 })),
    ).toBeNull();

    const [first, second] = await step(
      client.mutation(fixture.items.insertMany, {
        items: [
          { group: "dup", rank: 1, label: "one" },
          { group: "dup", rank: 1, label: "other one" },
        ],
      }),
    );
    const error = await failure(
      client.query(fixture.items.uniqueByRank, { group: "dup", rank: 1 }),
    );
    expect(error.message).toContain(
      "unique() query returned more than one result from table items",
    );
    expect(error.message).toContain(first);
    expect(error.message).toContain(second);
  });
});

describe("pagination", () => {
  const COUNT = 57;
  /** Ranks 0..56 in a scrambled insertion order. */
  const PAGED: ItemFields[] = Array.from({ length: COUNT }, (_, i) => (i * 23) % COUNT).map(
    (rank) => ({ group: "p", rank, label: `p${rank}` }),
  );

  async function withPages(): Promise<Served & { ids: GenericId<"items">[] }> {
    const app = await serve();
    const ids = await step(
      app.client.mutation(fixture.items.insertMany, { items: PAGED }),
      "seeding",
    );
    // Neighbours that must never show up.
    await step(
      app.client.mutation(fixture.items.insertMany, {
        items: [
          { group: "o", rank: 1, label: "o1" },
          { group: "q", rank: 1, label: "q1" },
        ],
      }),
    );
    return Object.assign(app, { ids });
  }

  /** Reads every page; checks each page's shape on the way. */
  async function readAll(
    app: Served,
    options: { numItems: number; evenOnly: boolean; order: Order },
  ): Promise<{ pages: number[][]; finalCursor: string }> {
    const pages: number[][] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const result: PaginationResult<number> = await step(
        app.client.query(fixture.items.page, {
          group: "p",
          evenOnly: options.evenOnly,
          order: options.order,
          paginationOpts: { numItems: options.numItems, cursor },
        }),
        `page ${pages.length}`,
      );
      expect(typeof result.isDone).toBe("boolean");
      expect(typeof result.continueCursor).toBe("string");
      expect(result.continueCursor.length).toBeGreaterThan(0);
      expect(result.page.length).toBeLessThanOrEqual(options.numItems);
      pages.push(result.page);
      if (result.isDone) return { pages, finalCursor: result.continueCursor };
      // A page that is not the last is full.
      expect(result.page.length).toBe(options.numItems);
      expect(result.continueCursor).not.toBe(cursor);
      cursor = result.continueCursor;
    }
    throw new Error("pagination did not finish in 100 pages");
  }

  it("returns every document exactly once, in order, for page sizes 5 and 10", async () => {
    await using app = await withPages();
    const ascending = Array.from({ length: COUNT }, (_, i) => i);
    for (const numItems of [5, 10]) {
      for (const order of ["asc", "desc"] as const) {
        const { pages } = await readAll(app, { numItems, evenOnly: false, order });
        const seen = pages.flat();
        expect(seen, `${numItems} ${order}`).toEqual(
          order === "asc" ? ascending : [...ascending].reverse(),
        );
        expect(new Set(seen).size).toBe(COUNT);
        expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(COUNT / numItems));
        expect(pages.length).toBeLessThanOrEqual(Math.ceil(COUNT / numItems) + 1);
      }
    }
  });

  it("returns every matching document exactly once with a filter", async () => {
    await using app = await withPages();
    const even = Array.from({ length: COUNT }, (_, i) => i).filter((rank) => rank % 2 === 0);
    for (const numItems of [5, 10]) {
      const { pages } = await readAll(app, { numItems, evenOnly: true, order: "asc" });
      expect(pages.flat(), `${numItems}`).toEqual(even);
    }
  });

  it("answers an empty, finished page after the end, and an empty table at once", async () => {
    await using app = await withPages();
    const { finalCursor } = await readAll(app, { numItems: 10, evenOnly: false, order: "asc" });
    const after = await step(
      app.client.query(fixture.items.page, {
        group: "p",
        evenOnly: false,
        order: "asc",
        paginationOpts: { numItems: 10, cursor: finalCursor },
      }),
    );
    expect(after.page).toEqual([]);
    expect(after.isDone).toBe(true);

    const empty = await step(
      app.client.query(fixture.items.page, {
        group: "nothing here",
        evenOnly: false,
        order: "asc",
        paginationOpts: { numItems: 10, cursor: null },
      }),
    );
    expect(empty.page).toEqual([]);
    expect(empty.isDone).toBe(true);
    expect(typeof empty.continueCursor).toBe("string");
  });

  it("continues from its cursor when documents are added and removed between pages", async () => {
    await using app = await withPages();
    const { client } = app;
    const first = await step(
      client.query(fixture.items.page, {
        group: "p",
        evenOnly: false,
        order: "asc",
        paginationOpts: { numItems: 10, cursor: null },
      }),
    );
    expect(first.page).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Insert behind the cursor (rank 3.5) and ahead of it (rank 100); delete rank 20, ahead of it.
    await step(
      client.mutation(fixture.items.remove, {
        id: app.ids[PAGED.findIndex((item) => item.rank === 20)]!,
      }),
    );
    await step(
      client.mutation(fixture.items.insertMany, {
        items: [
          { group: "p", rank: 3.5, label: "behind" },
          { group: "p", rank: 100, label: "ahead" },
        ],
      }),
    );
    const seen = [...first.page];
    let cursor = first.continueCursor;
    for (let guard = 0; guard < 20; guard++) {
      const next = await step(
        client.query(fixture.items.page, {
          group: "p",
          evenOnly: false,
          order: "asc",
          paginationOpts: { numItems: 10, cursor },
        }),
      );
      seen.push(...next.page);
      if (next.isDone) break;
      cursor = next.continueCursor;
    }
    expect(seen).toEqual([
      ...Array.from({ length: COUNT }, (_, i) => i).filter((rank) => rank !== 20),
      100,
    ]);
  });

  it("rejects a cursor that is not one", async () => {
    await using app = await withPages();
    const error = await failure(
      app.client.query(fixture.items.page, {
        group: "p",
        evenOnly: false,
        order: "asc",
        paginationOpts: { numItems: 10, cursor: "definitely not a cursor!" },
      }),
    );
    expect(error.message).toMatch(/cursor/i);
  });
});

/*
 * Regression guard: `compileRange` once bounded an equality prefix, a `gt` and an `lte` with a
 * byte-prefix successor, so `eq("a")`/`lte("a")` also returned "a\u0000" and `gt("a")` skipped it.
 */
describe("index keys that extend another key by a zero byte", () => {
  // "a" and "a\u0000" are different strings, and the second sorts right after the first; their
  // index keys share a byte prefix, which a range must not mistake for equality.
  it("keeps an eq prefix from leaking into a neighbouring group", async () => {
    await using app = await serve();
    await step(
      app.client.mutation(fixture.items.insertMany, {
        items: [
          { group: "r", rank: 1, label: "r1" },
          { group: "r\u0000", rank: 1, label: "r-nul-1" },
          { group: "r\u0000x", rank: 2, label: "r-nul-x-2" },
        ],
      }),
    );
    expect(await step(app.client.query(fixture.items.range, { group: "r", order: "asc" }))).toEqual(
      ["r1"],
    );
    expect(
      await step(app.client.query(fixture.items.range, { group: "r\u0000", order: "asc" })),
    ).toEqual(["r-nul-1"]);
  });

  it("compares strings and bytes exactly at the bounds", async () => {
    await using app = await serve();
    const stored: [string, Value][] = [
      ["a", "a"],
      ["a-nul", "a\u0000"],
      ["b", "b"],
      ["bytes-empty", new ArrayBuffer(0)],
      ["bytes-0", Uint8Array.of(0).buffer],
      ["bytes-1", Uint8Array.of(1).buffer],
    ];
    for (const [label, value] of stored) {
      await step(app.client.mutation(fixture.values.store, { label, value }));
    }
    const { client } = app;
    const compare = (op: "gt" | "gte" | "lt" | "lte", value: Value) =>
      step(
        client.query(fixture.values.compare, { op, value }),
        `${op} ${typeof value === "string" ? JSON.stringify(value) : "bytes"}`,
      );
    expect(await step(client.query(fixture.values.findByValue, { value: "a" }))).toEqual(["a"]);
    expect(
      await step(client.query(fixture.values.findByValue, { value: new ArrayBuffer(0) })),
    ).toEqual(["bytes-empty"]);
    expect(await compare("gt", "a")).toEqual(["a-nul", "b", "bytes-empty", "bytes-0", "bytes-1"]);
    expect(await compare("gte", "a")).toEqual([
      "a",
      "a-nul",
      "b",
      "bytes-empty",
      "bytes-0",
      "bytes-1",
    ]);
    expect(await compare("lte", "a")).toEqual(["a"]);
    expect(await compare("lt", "a-")).toEqual(["a", "a-nul"]);
    expect(await compare("gt", new ArrayBuffer(0))).toEqual(["bytes-0", "bytes-1"]);
  });
});
