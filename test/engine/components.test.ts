/**
 * Convex components in the embedded backend, through the official clients, against the
 * components fixture app (`test/fixtures/components_app`): it installs two real components from
 * npm, `@convex-dev/rate-limiter` (used through its `RateLimiter` class) and
 * `@convex-dev/aggregate` (its `TableAggregate`, installed under the name `scores`), each with
 * its own child component (`@convex-dev/batch-worker`), and one local component (`counter`,
 * `convex/counter/`). The stories: the tree loads; a rate limit holds; the aggregate counts and
 * sums; a live query over component reads is updated by a mutation; a failed child mutation
 * rolls back only its own writes; a failed parent rolls back its children's; component tables
 * are isolated from the app's (same table name, ids); components see no identity and their own
 * path; actions call components; and nobody outside, nor a component's parent for internal
 * functions, nor a component for its siblings, can call a component function.
 */
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, type TestBackend } from "../utils/backend.ts";
import { RawSyncSocket } from "../sync/support/raw_socket.ts";
import { httpClient, record, serve, syncClient } from "../sync/support/clients.ts";
import { step } from "../utils/waits.ts";

/** The components fixture app (the folder holding its `convex/`). */
const COMPONENTS_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "components_app");

type Empty = Record<string, never>;
type Stats = { count: number; sum: number; plays: number };
type Counter = { name: string; value: number };

const fns = {
  play: makeFunctionReference<
    "mutation",
    { player: string; points: number },
    { ok: boolean; retryAfter: number | null }
  >("game:play"),
  canPlay: makeFunctionReference<"query", { player: string }, boolean>("game:canPlay"),
  stats: makeFunctionReference<"query", Empty, Stats>("game:stats"),
  nested: makeFunctionReference<
    "mutation",
    { name: string },
    { caught: string | null; after: number }
  >("game:nested"),
  failAfterChild: makeFunctionReference<"mutation", { name: string }, null>("game:failAfterChild"),
  appCounters: makeFunctionReference<"query", Empty, (Counter & { _id: string })[]>(
    "game:appCounters",
  ),
  componentCounters: makeFunctionReference<"query", Empty, Counter[]>("game:componentCounters"),
  appIdInComponent: makeFunctionReference<
    "query",
    { id: string },
    { normalized: string | null; found: boolean }
  >("game:appIdInComponent"),
  whoIsTheComponent: makeFunctionReference<
    "query",
    Empty,
    { app: string | null; component: { identity: unknown; componentPath: string; name: string } }
  >("game:whoIsTheComponent"),
  addFromAction: makeFunctionReference<"action", { name: string; amount: number }, number>(
    "game:addFromAction",
  ),
  callComponentInternal: makeFunctionReference<"query", Empty, unknown>(
    "game:callComponentInternal",
  ),
  componentCallsSibling: makeFunctionReference<"mutation", Empty, unknown>(
    "game:componentCallsSibling",
  ),
  addLaterFromApp: makeFunctionReference<"mutation", { name: string }, null>(
    "game:addLaterFromApp",
  ),
  scheduleComponentInternal: makeFunctionReference<"mutation", Empty, null>(
    "game:scheduleComponentInternal",
  ),
  counterValue: makeFunctionReference<"query", { name: string }, number>("game:counterValue"),
  staleRead: makeFunctionReference<"mutation", { name: string }, number>("game:staleRead"),
  burst: makeFunctionReference<"mutation", { key: string }, boolean>("game:burst"),
  burstLeft: makeFunctionReference<"query", { key: string }, number>("game:burstLeft"),
  playLater: makeFunctionReference<"mutation", { player: string; points: number }, null>(
    "game:playLater",
  ),
  stamp: makeFunctionReference<"mutation", { label: string }, string>("game:stamp"),
  stamps: makeFunctionReference<"query", Empty, { label: string; at: bigint }[]>("game:stamps"),
};

let backend: TestBackend;

beforeAll(async () => {
  backend = await serve({ dir: COMPONENTS_APP_DIR });
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
});

describe("loading an app with components", () => {
  it("serves the app's functions and none of the components'", () => {
    const paths = backend.engine.registry.list().map((fn) => fn.path);
    expect(paths).toContain("game:play");
    expect(paths.some((p) => p.startsWith("lib:") || p.startsWith("btree:"))).toBe(false);
  });
});

describe("npm components", () => {
  it("the rate limiter allows two plays an hour per player, then refuses", async () => {
    const client = httpClient(backend.url);
    expect(await step(client.query(fns.canPlay, { player: "ada" }), "canPlay")).toBe(true);
    const first = await step(client.mutation(fns.play, { player: "ada", points: 10 }), "play 1");
    const second = await step(client.mutation(fns.play, { player: "ada", points: 20 }), "play 2");
    const third = await step(client.mutation(fns.play, { player: "ada", points: 30 }), "play 3");
    expect([first.ok, second.ok, third.ok]).toEqual([true, true, false]);
    expect(third.retryAfter).toBeGreaterThan(0);
    expect(await step(client.query(fns.canPlay, { player: "ada" }), "canPlay")).toBe(false);
    // Another key has its own limit.
    expect(await step(client.query(fns.canPlay, { player: "bob" }), "canPlay")).toBe(true);
  });
});

describe("npm components: a component's own component", () => {
  it("the rate limiter's asynchronous mode: its batch worker applies what was enqueued", async () => {
    // `limit` enqueues the consumption; the rate limiter pings its child component
    // (`@convex-dev/batch-worker`) with function handles of its own functions; the worker's
    // scheduled loop runs them, and the tokens left drop.
    await using client = syncClient(backend.url);
    using left = record(client, fns.burstLeft, { key: "k" });
    const http = httpClient(backend.url);
    expect(await step(http.mutation(fns.burst, { key: "k" }), "burst 1")).toBe(true);
    await left.value((value) => value === 1, "the first token to be taken");
    expect(await step(http.mutation(fns.burst, { key: "k" }), "burst 2")).toBe(true);
    await left.value((value) => value === 0, "the second token to be taken");
    expect(await step(http.mutation(fns.burst, { key: "k" }), "burst 3")).toBe(false);
  });
});

describe("npm components: the aggregate", () => {
  it("counts and sums the scores the app inserted through it", async () => {
    const client = httpClient(backend.url);
    const before = await step(client.query(fns.stats, {}), "stats");
    await step(client.mutation(fns.play, { player: "cy", points: 7 }), "play");
    await step(client.mutation(fns.play, { player: "dee", points: 35 }), "play");
    const after = await step(client.query(fns.stats, {}), "stats");
    expect(after).toEqual({
      count: before.count + 2,
      sum: before.sum + 42,
      plays: before.plays + 2,
    });
  });
});

describe("commit timestamps (`db.vars.commitTs`)", () => {
  it("resolve at commit to int64s in commit order; the mutation itself reads the placeholder", async () => {
    const client = httpClient(backend.url);
    const own = await step(client.mutation(fns.stamp, { label: "first" }), "stamp 1");
    expect(own).toBe("[unresolved commit timestamp]");
    await step(client.mutation(fns.stamp, { label: "second" }), "stamp 2");
    const rows = await step(client.query(fns.stamps, {}), "stamps");
    expect(rows.map((row) => row.label)).toEqual(["first", "second"]);
    const [first, second] = rows.map((row) => row.at);
    expect(typeof first).toBe("bigint");
    expect(second! > first!).toBe(true);
  });

  it("let the aggregate apply its asynchronous writes through its batch worker", async () => {
    await using client = syncClient(backend.url);
    const http = httpClient(backend.url);
    const before = await step(http.query(fns.stats, {}), "stats");
    using stats = record(client, fns.stats, {});
    await step(http.mutation(fns.playLater, { player: "eve", points: 5 }), "playLater");
    await stats.value(
      (value) => value.count === before.count + 1 && value.sum === before.sum + 5,
      "the enqueued score to be counted",
    );
  });
});

describe("reactivity through component reads", () => {
  it("a live query that reads only through components is updated by a mutation", async () => {
    await using client = syncClient(backend.url);
    using deliveries = record(client, fns.stats, {});
    const [first] = await deliveries.atLeast(1, "the first stats");
    if (first === undefined) throw new Error("no first delivery");
    await step(httpClient(backend.url).mutation(fns.play, { player: "eve", points: 5 }), "play");
    const expected = { count: first.count + 1, sum: first.sum + 5, plays: first.plays + 1 };
    expect(await deliveries.value((v) => v.count === expected.count, "stats after a play")).toEqual(
      expected,
    );
  });
});

describe("nested transactions", () => {
  it("a failed child mutation rolls back only its own writes when the parent catches", async () => {
    const client = httpClient(backend.url);
    const result = await step(client.mutation(fns.nested, { name: "n1" }), "nested");
    expect(result.caught).toContain("counter n1 refused 100");
    // The first child call stands; the failed one's update and insert are gone.
    expect(result.after).toBe(5);
    const inComponent = await step(client.query(fns.componentCounters, {}), "component rows");
    expect(inComponent.filter((row) => row.name.startsWith("n1"))).toEqual([
      { name: "n1", value: 5 },
    ]);
    // The parent's own write committed with it.
    const inApp = await step(client.query(fns.appCounters, {}), "app rows");
    expect(inApp.filter((row) => row.name === "n1").map((row) => row.value)).toEqual([-1]);
  });

  it("a parent that fails after its child succeeded commits nothing of either", async () => {
    const client = httpClient(backend.url);
    await expect(client.mutation(fns.failAfterChild, { name: "p1" })).rejects.toThrow(
      "parent failed after its child",
    );
    const inComponent = await step(client.query(fns.componentCounters, {}), "component rows");
    expect(inComponent.some((row) => row.name === "p1")).toBe(false);
    const inApp = await step(client.query(fns.appCounters, {}), "app rows");
    expect(inApp.some((row) => row.name === "p1")).toBe(false);
  });
});

describe("isolation", () => {
  it("the app's `counters` table and the component's are two tables", async () => {
    const client = httpClient(backend.url);
    await step(client.mutation(fns.nested, { name: "iso" }), "nested");
    const inApp = await step(client.query(fns.appCounters, {}), "app rows");
    const inComponent = await step(client.query(fns.componentCounters, {}), "component rows");
    // `plays` is the counter component's row: the app never sees it; the app's -1 rows are
    // never the component's.
    expect(inApp.some((row) => row.name === "plays")).toBe(false);
    expect(inComponent.some((row) => row.name === "plays")).toBe(true);
    expect(inComponent.some((row) => row.value === -1)).toBe(false);
    expect(inApp.every((row) => row.value === -1)).toBe(true);
  });

  it("an app document id is no id of the component's tables", async () => {
    const client = httpClient(backend.url);
    await step(client.mutation(fns.nested, { name: "ids" }), "nested");
    const appRow = (await step(client.query(fns.appCounters, {}), "app rows")).find(
      (row) => row.name === "ids",
    );
    expect(appRow).toBeDefined();
    const seen = await step(client.query(fns.appIdInComponent, { id: appRow?._id ?? "" }), "id");
    expect(seen).toEqual({ normalized: null, found: false });
  });

  it("a component sees no user identity, and its own path", async () => {
    const client = httpClient(backend.url);
    setAdminAuth(client, backend.engine.adminKey, { subject: "user-1", issuer: "https://issuer" });
    const seen = await step(client.query(fns.whoIsTheComponent, {}), "who");
    expect(seen).toEqual({
      app: "user-1",
      component: { identity: null, componentPath: "counter", name: "lib:whoAmI" },
    });
  });
});

describe("calls", () => {
  it("an action calls a component's mutation and query, each a transaction of its own", async () => {
    const client = httpClient(backend.url);
    const value = await step(client.action(fns.addFromAction, { name: "act", amount: 3 }), "act");
    expect(value).toBe(3);
    expect(await step(client.action(fns.addFromAction, { name: "act", amount: 4 }), "act")).toBe(7);
  });

  it("a mutation reads a component with `useStaleSnapshot`", async () => {
    const client = httpClient(backend.url);
    await step(client.action(fns.addFromAction, { name: "stale", amount: 2 }), "act");
    expect(await step(client.mutation(fns.staleRead, { name: "stale" }), "stale read")).toBe(2);
  });

  it("a parent may not call a component's internal function", async () => {
    const client = httpClient(backend.url);
    await expect(client.query(fns.callComponentInternal, {})).rejects.toThrow(
      "Could not find public function for 'lib:secret'. Did you forget to run `npx convex dev`?",
    );
  });

  it("a component may not call a component it was not given", async () => {
    const client = httpClient(backend.url);
    await expect(client.mutation(fns.componentCallsSibling, {})).rejects.toThrow(
      "Could not find public function for 'lib:getServerTime'. Did you forget to run `npx convex dev`?",
    );
  });
});

describe("scheduled functions", () => {
  it("a parent schedules a component's function, and a component its own", async () => {
    await using client = syncClient(backend.url);
    using value = record(client, fns.counterValue, { name: "later" });
    await step(
      httpClient(backend.url).mutation(fns.addLaterFromApp, { name: "later" }),
      "schedule",
    );
    // 1 from the app's job, 10 from the component's own job.
    expect(await value.value((v) => v === 11, "both jobs to run")).toBe(11);
  });

  it("a parent may not schedule a component's internal function", async () => {
    await expect(
      httpClient(backend.url).mutation(fns.scheduleComponentInternal, {}),
    ).rejects.toThrow(
      "Attempted to schedule function, but no exported function secret found in the file: lib.js. Did you forget to export it?",
    );
  });
});

describe("outside callers", () => {
  const notFound = (path: string) =>
    `Could not find public function for '${path}'. Did you forget to run \`npx convex dev\`?`;
  const counterGet = makeFunctionReference<"query", { name: string }, number>("lib:get");
  const counterAdd = makeFunctionReference<"mutation", { name: string; amount: number }, number>(
    "lib:add",
  );

  it("HTTP: a component function is not found, by path or with `componentPath`", async () => {
    const client = httpClient(backend.url);
    await expect(client.query(counterGet, { name: "plays" })).rejects.toThrow(notFound("lib:get"));
    const withComponent = client as unknown as {
      function(ref: unknown, componentPath: string, args: unknown): Promise<unknown>;
    };
    await expect(
      withComponent.function(counterAdd, "counter", { name: "x", amount: 1 }),
    ).rejects.toThrow(notFound("lib:add"));
    const response = await fetch(`${backend.url}/api/run/lib/get`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ args: { name: "plays" } }),
    });
    expect(JSON.stringify(await response.json())).toContain("Could not find public function");
  });

  it("sync: a component function is not found, by path or with `componentPath`", async () => {
    await using client = syncClient(backend.url);
    await expect(step(client.query(counterGet, { name: "plays" }), "query")).rejects.toThrow(
      notFound("lib:get"),
    );
    await expect(
      step(client.mutation(counterAdd, { name: "x", amount: 1 }), "mutation"),
    ).rejects.toThrow(notFound("lib:add"));
    await using socket = await RawSyncSocket.connect(backend.url);
    socket.send({
      type: "Mutation",
      requestId: 0,
      udfPath: "lib:add",
      componentPath: "counter",
      args: [{ name: "x", amount: 1 }],
    });
    let response = await socket.next("the MutationResponse");
    while (response.type !== "MutationResponse") response = await socket.next("the response");
    expect(response).toMatchObject({ success: false, result: notFound("lib:add") });
  });

  it("an admin may call a component function with `componentPath`, as Convex's dashboard does", async () => {
    const client = httpClient(backend.url);
    setAdminAuth(client, backend.engine.adminKey);
    const withComponent = client as unknown as {
      function(ref: unknown, componentPath: string, args: unknown): Promise<unknown>;
    };
    expect(await withComponent.function(counterGet, "counter", { name: "nobody" })).toBe(0);
  });
});

/** `setAdminAuth` of the official client (an internal method: not in its typings). */
function setAdminAuth(client: object, key: string, identity?: Record<string, unknown>): void {
  (client as { setAdminAuth(key: string, identity?: Record<string, unknown>): void }).setAdminAuth(
    key,
    identity,
  );
}
