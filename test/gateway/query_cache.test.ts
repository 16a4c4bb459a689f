/**
 * The query cache ("warm queries"): a one-off GraphQL query is answered from the identity's pooled
 * upstream Convex client, whose subscriptions stay warm for `queryCacheMs` after the read. The
 * backend counts every query execution (`engine.executor.stats.queries`, HTTP and live alike), so
 * a warm answer is one that leaves that count where it was.
 *
 * The app is a copy of the example app (`convex/`) in a temp folder, with two additions: an
 * `auth.config.ts` naming the local JWT issuer (so anonymous callers and users share one app), and
 * `probe.ts`, a query that throws a `ConvexError` (the example app has no such query).
 *
 * Every test has a gateway of its own (a fresh pool and write watermark) in front of one backend,
 * and every counter and table number is used by one test only.
 *
 * Two tests pin down edges: timestamps whose bit 31 is set (the official client's `Long` prints
 * them 2^32 ns too small; the pool converts them exactly), and an identity behind another
 * identity's write to data it does not read (one upstream read per operation vouches for it).
 */
import fs from "node:fs";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { REPO_ROOT, startTestBackend, tempDir, type TestBackend } from "../utils/backend.ts";
import { startTestIssuer, TEST_APPLICATION_ID, type TestIssuer } from "../utils/jwt_issuer.ts";
import { convexHttp, type OrderFields } from "./support/example_app.ts";
import { api } from "../../convex/_generated/api.js";
import { UpstreamSessions } from "../../gateway/upstream/sessions.ts";
import {
  data,
  post,
  record,
  startTestGateway,
  wsClient,
  type TestGateway,
  type WireResult,
} from "./support/gateway.ts";
import { delay, eventually, STEP_MS, within } from "../utils/waits.ts";

const AUTH_CONFIG = `
const issuer = process.env["TEST_JWT_ISSUER"] ?? "http://127.0.0.1:9";
export default {
  providers: [
    {
      type: "customJwt",
      issuer,
      jwks: \`\${issuer}/jwks\`,
      algorithm: "RS256",
      applicationID: "${TEST_APPLICATION_ID}",
    },
  ],
};
`;

const PROBE = `
import { ConvexError, v } from "convex/values";
import { query } from "./_generated/server.js";

/** Always throws ConvexError({ code, message }). */
export const fail = query({
  args: { code: v.string() },
  returns: v.null(),
  handler: async (_ctx, { code }) => {
    throw new ConvexError({ code, message: \`The probe failed with \${code}\` });
  },
});
`;

let app: { path: string } & AsyncDisposable;
let issuer: TestIssuer;
let backend: TestBackend;

beforeAll(async () => {
  app = tempDir("convex-graphql-query-cache-");
  fs.cpSync(path.join(REPO_ROOT, "convex"), path.join(app.path, "convex"), { recursive: true });
  fs.writeFileSync(path.join(app.path, "convex", "auth.config.ts"), AUTH_CONFIG);
  fs.writeFileSync(path.join(app.path, "convex", "probe.ts"), PROBE);
  issuer = await startTestIssuer();
  // Every upstream read executes (no shared /api/query cache), so executions count upstream reads.
  backend = await startTestBackend({
    dir: app.path,
    env: { TEST_JWT_ISSUER: issuer.url },
    httpQueryCache: false,
  });
});

afterAll(async () => {
  await backend?.close();
  await issuer?.[Symbol.asyncDispose]();
  await app?.[Symbol.asyncDispose]();
});

/** A gateway of its own (fresh pool, counts from zero) in front of the shared backend. */
function ownGateway(options: Parameters<typeof startTestGateway>[1] = {}): Promise<TestGateway> {
  return startTestGateway(backend.url, { dir: app.path, ...options });
}

/** Query executions the backend has started so far (HTTP and live). */
function queryExecutions(): number {
  return backend.engine.executor.stats.queries;
}

function bearer(token: string | null): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

const COUNTER = "query Counter($name: String!) { countersGet(name: $name) }";
const INCREMENT = "mutation Increment($name: String!) { countersIncrement(name: $name) }";

/** Reads counter `name` through `via`. */
async function readCounter(
  via: TestGateway,
  name: string,
  token: string | null = null,
): Promise<number> {
  const result = await data(via.url, COUNTER, { name }, bearer(token));
  return result["countersGet"] as number;
}

/** Increments counter `name` through `via`; returns its new value. */
async function incrementCounter(
  via: TestGateway,
  name: string,
  token: string | null = null,
): Promise<number> {
  const result = await data(via.url, INCREMENT, { name }, bearer(token));
  return result["countersIncrement"] as number;
}

/**
 * Makes `read` answerable from the cache for `token`: one read goes upstream over HTTP and opens
 * the identity's client, then (once that client is connected) one more read subscribes the query.
 */
async function warm(
  via: TestGateway,
  token: string | null,
  read: () => Promise<unknown>,
): Promise<void> {
  await read();
  await eventually(() => via.upstream.canRead(token), "the identity's upstream client to connect");
  await read();
}

/** Polls `read` until `done` holds for its value; rejects after `ms` naming `what`. */
async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  ms = STEP_MS,
): Promise<T[]> {
  const seen: T[] = [];
  const poll = async (): Promise<T[]> => {
    for (;;) {
      const value = await read();
      seen.push(value);
      if (done(value)) return seen;
    }
  };
  return within(poll(), ms, `${what} (saw ${JSON.stringify(seen.slice(-5))})`);
}

function nonDecreasing(values: readonly number[]): boolean {
  return values.every((value, i) => i === 0 || value >= (values[i - 1] ?? value));
}

/** Bit 31 of a timestamp (ns since the epoch): it flips every 2^31 ns, about 2.1 s. */
const BIT_31 = 1n << 31n;

/**
 * Two wall-clock instants (ms) a few seconds ahead, in one cycle of bit 31 (2^32 ns): `clear`,
 * 300 ms before bit 31 of a timestamp turns on, and `set`, 1 s after. Commit timestamps are the
 * wall clock in ns (engine/transactions/timestamp.ts), so pinning `Date` at these instants makes
 * the backend's next commits take that bit, with no waiting for the real clock to get there.
 */
function bit31Instants(): { clear: number; set: number } {
  const cycle = BIT_31 * 2n;
  const nextCycle = ((BigInt(Date.now()) * 1_000_000n) / cycle + 1n) * cycle;
  const ms = (ns: bigint): number => Number(ns / 1_000_000n);
  return {
    clear: ms(nextCycle + BIT_31 - 300_000_000n),
    set: ms(nextCycle + BIT_31 + 1_000_000_000n),
  };
}

describe("warm answers", () => {
  it("answers a repeated query from the warm subscription, with no upstream execution", async () => {
    await using gateway = await ownGateway();
    const name = "warm-repeat";
    await convexHttp(backend.url).mutation(api.counters.increment, { name });

    // The first read of the identity goes over HTTP (one execution), and opens its client.
    const before = queryExecutions();
    expect(await readCounter(gateway, name)).toBe(1);
    expect(queryExecutions() - before).toBe(1);
    expect(gateway.upstream.warmCount).toBe(0);
    await eventually(
      () => gateway.upstream.canRead(null),
      "the anonymous upstream client to connect",
    );

    // The next one subscribes upstream (one execution) and leaves the subscription warm.
    expect(await readCounter(gateway, name)).toBe(1);
    expect(gateway.upstream.warmCount).toBe(1);

    // Every repeat is answered here.
    const warmFrom = queryExecutions();
    for (let i = 0; i < 20; i++) expect(await readCounter(gateway, name)).toBe(1);
    // Also as GET (the same operation).
    const byGet = await fetch(
      `${gateway.url}?${new URLSearchParams({ query: COUNTER, variables: JSON.stringify({ name }) }).toString()}`,
      { headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" } },
    );
    expect(await byGet.json()).toEqual({ data: { countersGet: 1 } });
    expect(queryExecutions() - warmFrom).toBe(0);
    expect(gateway.upstream.warmCount).toBe(1);
    expect(gateway.upstream.subscriptionCount).toBe(0);
  });

  it("answers a one-off query over graphql-ws from the warm subscription too", async () => {
    await using gateway = await ownGateway();
    const name = "warm-ws";
    await warm(gateway, null, () => readCounter(gateway, name));
    expect(gateway.upstream.warmCount).toBe(1);

    await using client = wsClient(gateway.url);
    const warmFrom = queryExecutions();
    for (let i = 0; i < 5; i++) {
      using oneOff = record(client, { query: COUNTER, variables: { name } });
      await oneOff.ended("a one-off query over graphql-ws");
      expect(oneOff.error).toBeUndefined();
      expect(oneOff.latest).toEqual({ data: { countersGet: 0 } });
    }
    expect(queryExecutions() - warmFrom).toBe(0);
    expect(gateway.upstream.warmCount).toBe(1);
    expect(gateway.upstream.subscriptionCount).toBe(0);
  });
});

describe("freshness", () => {
  it("shows a write made straight against the backend within 2 s, and never goes back", async () => {
    await using gateway = await ownGateway();
    const name = "fresh-direct";
    await warm(gateway, null, () => readCounter(gateway, name));
    const direct = convexHttp(backend.url);
    const executions = queryExecutions();
    const seen: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const written = await direct.mutation(api.counters.increment, { name });
      expect(written).toBe(i);
      seen.push(
        ...(await pollUntil(
          () => readCounter(gateway, name),
          (value) => value === written,
          `the gateway to show the direct write ${written}`,
          2_000,
        )),
      );
      // Once shown, it stays.
      for (let k = 0; k < 5; k++) seen.push(await readCounter(gateway, name));
    }
    expect(nonDecreasing(seen)).toBe(true);
    expect(seen.at(-1)).toBe(5);
    expect(Math.max(...seen)).toBe(5);
    // Every read was answered from the warm subscription: the backend ran the query once per
    // write (the pushed update), never for a read.
    expect(queryExecutions() - executions).toBe(5);
  });

  it("reads its own writes: a mutation then, at once, a query (same identity)", async () => {
    await using gateway = await ownGateway();
    const name = "ryw-same";
    await warm(gateway, null, () => readCounter(gateway, name));
    await eventually(() => gateway.upstream.canWrite(null), "the anonymous client to take writes");
    for (let i = 1; i <= 20; i++) {
      expect(await incrementCounter(gateway, name)).toBe(i);
      const executions = queryExecutions();
      expect(await readCounter(gateway, name)).toBe(i);
      // From the client the mutation went through: it already holds the new result.
      expect(queryExecutions() - executions).toBe(0);
    }
    expect(gateway.upstream.warmCount).toBe(1);
  });

  it("reads another identity's writes made through the gateway, at once", async () => {
    await using gateway = await ownGateway();
    const name = "ryw-across";
    const alice = await issuer.token("alice-ryw");
    await warm(gateway, alice, () => readCounter(gateway, name, alice));
    await warm(gateway, null, () => readCounter(gateway, name));
    expect(gateway.upstream.canWrite(alice)).toBe(true);
    for (let i = 1; i <= 10; i++) {
      expect(await incrementCounter(gateway, name, alice)).toBe(i);
      // Right after the mutation's response: the anonymous reader must see it already.
      expect(await readCounter(gateway, name)).toBe(i);
      expect(await readCounter(gateway, name, alice)).toBe(i);
    }
  });

  it("never answers an identity with another's kept result of the same operation", async () => {
    await using gateway = await ownGateway();
    const CURRENT = "{ usersCurrent { name } }";
    const named = async (token: string | null, name: string): Promise<void> => {
      const answer = await post(gateway.url, { query: CURRENT }, bearer(token));
      expect(answer.json()).toEqual({ data: { usersCurrent: name === "" ? null : { name } } });
    };
    const carol = await issuer.token("carol-kept", { name: "Carol" });
    const dave = await issuer.token("dave-kept", { name: "Dave" });
    for (const token of [carol, dave]) {
      await post(gateway.url, { query: "mutation { usersStore }" }, bearer(token));
    }
    // Each identity's repeats are answered from its own session, kept results included.
    for (let round = 0; round < 5; round++) {
      await named(carol, "Carol");
      await named(dave, "Dave");
      await named(null, "");
    }
    expect(gateway.upstream.reusedResults.hits).toBeGreaterThan(0);
  });

  it("reads another identity's write at once when it holds nothing warm", async () => {
    await using gateway = await ownGateway({ queryCacheMs: 100 });
    const name = "ryw-cold";
    const bob = await issuer.token("bob-cold");
    await warm(gateway, bob, () => readCounter(gateway, name, bob));
    await warm(gateway, null, () => readCounter(gateway, name));
    for (let i = 1; i <= 5; i++) {
      // The anonymous client is open but holds no subscription.
      await eventually(() => gateway.upstream.warmCount === 0, "the warm subscriptions to expire");
      expect(await incrementCounter(gateway, name, bob)).toBe(i);
      expect(gateway.upstream.canRead(null)).toBe(true);
      expect(await readCounter(gateway, name)).toBe(i);
    }
  });

  it("never reads older than a write whose response arrived, with writers of every kind", async () => {
    // Writers at once: a user through its pooled client, new identities (their first request:
    // over HTTP), and a writer straight against the backend on a second counter read together.
    await using gateway = await ownGateway();
    const name = "ryw-mixed";
    const other = "ryw-mixed-other";
    const alice = await issuer.token("alice-mixed");
    const both = `{ value: countersGet(name: "${name}") other: countersGet(name: "${other}") }`;
    const readValue = async (): Promise<number> =>
      (await data(gateway.url, both))["value"] as number;
    await warm(gateway, null, readValue);
    await warm(gateway, alice, () => readCounter(gateway, name, alice));
    const stale: string[] = [];
    const check = async (who: string, written: number): Promise<void> => {
      const read = await readValue();
      if (read < written)
        stale.push(`${who} wrote ${written}, the anonymous reader then read ${read}`);
    };
    let writing = true;
    const direct = convexHttp(backend.url);
    const noise = (async () => {
      while (writing) await direct.mutation(api.counters.increment, { name: other });
    })();
    const pooled = (async () => {
      for (let i = 0; i < 15; i++)
        await check("alice", await incrementCounter(gateway, name, alice));
    })();
    const newcomers = (async () => {
      for (let round = 0; round < 5; round++) {
        const tokens = await Promise.all(
          [0, 1, 2].map((n) => issuer.token(`newcomer-${round}-${n}`)),
        );
        await Promise.all(
          tokens.map(async (token) =>
            check("a newcomer", await incrementCounter(gateway, name, token)),
          ),
        );
      }
    })();
    try {
      await within(Promise.all([pooled, newcomers]), 15_000, "the writers");
    } finally {
      writing = false;
      await noise;
    }
    expect(stale).toEqual([]);
    expect(await readValue()).toBe(30);
  });

  // The backend pushes a Transition only when one of a session's results changes, so after
  // another identity's write to data the anonymous client does not read, its client is behind the
  // write watermark: the next read of each operation goes upstream, and finding what the client
  // holds, vouches for it until the client's next Transition.
  it("reads upstream once per operation after another identity's write to data it does not read", async () => {
    await using gateway = await ownGateway();
    const bob = await issuer.token("bob-unrelated");
    await warm(gateway, null, () => readCounter(gateway, "unrelated-read"));
    await warm(gateway, bob, () => readCounter(gateway, "unrelated-read", bob));
    await incrementCounter(gateway, "unrelated-write", bob);
    expect(gateway.upstream.canRead(null)).toBe(false);
    const executions = queryExecutions();
    expect(await readCounter(gateway, "unrelated-read")).toBe(0);
    expect(queryExecutions() - executions).toBe(1);
    // Vouched for: the same operation is answered warm again; another one is not.
    for (let i = 0; i < 5; i++) expect(await readCounter(gateway, "unrelated-read")).toBe(0);
    expect(queryExecutions() - executions).toBe(1);
    const other = await data(gateway.url, `{ countersGet(name: "unrelated-read") }`);
    expect(other).toEqual({ countersGet: 0 });
    expect(queryExecutions() - executions).toBe(2);
    // A later write by bob: the vouching no longer covers it, one upstream read again.
    await incrementCounter(gateway, "unrelated-write", bob);
    expect(await readCounter(gateway, "unrelated-read")).toBe(0);
    expect(queryExecutions() - executions).toBe(3);
    // A write elsewhere to what the anonymous client reads: it is pushed, and never missed.
    await convexHttp(backend.url).mutation(api.counters.increment, { name: "unrelated-read" });
    await pollUntil(
      () => readCounter(gateway, "unrelated-read"),
      (value) => value === 1,
      "the pushed change",
    );
    // Its own data changing synced it past the watermark: warm answers again.
    await eventually(() => gateway.upstream.canRead(null), "the anonymous client to sync again");
    const after = queryExecutions();
    expect(await readCounter(gateway, "unrelated-read")).toBe(1);
    expect(queryExecutions() - after).toBe(0);
  });

  // The official client's `Long` (convex/src/vendor/long.ts) keeps its low word as a signed
  // int32 and its `toString()` adds it signed: whenever bit 31 of a timestamp is set (half of all
  // timestamps, in turns of about 2.1 s) it prints a value 2^32 ns (about 4.3 s) too small. Read
  // that way, the synced timestamp and the write watermark would let a client answer before it
  // synced past another identity's write, and keep an identity off the cache after its own write.
  it("compares timestamps right whatever their bit 31 (watermark, synced timestamp)", async () => {
    await using gateway = await ownGateway();
    const bob = await issuer.token("bob-bit31");
    await warm(gateway, bob, () => readCounter(gateway, "bit31-bob", bob));
    await warm(gateway, null, () => readCounter(gateway, "bit31-anonymous"));
    await eventually(() => gateway.upstream.canWrite(null), "the anonymous client to take writes");

    // Only `Date` is pinned (timers stay real), and only for the writes below.
    const instants = bit31Instants();
    vi.useFakeTimers({ toFake: ["Date"], now: instants.clear });
    try {
      // Bit 31 of new timestamps is clear: the anonymous identity writes, and its client syncs
      // at that write (exact: bit 31 clear).
      expect(await incrementCounter(gateway, "bit31-anonymous")).toBe(1);

      // Bit 31 is set: bob writes something the anonymous client does not read. The anonymous
      // client gets no Transition for it, so it has not synced past the write.
      vi.setSystemTime(instants.set);
      const transitions = gateway.upstream.transitionCount(null);
      expect(await incrementCounter(gateway, "bit31-elsewhere", bob)).toBe(1);
      const synced = gateway.upstream.transitionCount(null) > transitions;
      expect(
        { canRead: gateway.upstream.canRead(null), synced },
        "the anonymous client may answer from the cache only once it synced past bob's write",
      ).not.toEqual({ canRead: true, synced: false });

      // The anonymous identity writes again (bit 31 set): its own next read is answered from its
      // client, which the mutation went through (no upstream execution).
      expect(await incrementCounter(gateway, "bit31-anonymous")).toBe(2);
      const executions = queryExecutions();
      expect(await readCounter(gateway, "bit31-anonymous")).toBe(2);
      expect(
        queryExecutions() - executions,
        "upstream executions of a read after its own write",
      ).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("answers every root field of one query from one snapshot while writes run", async () => {
    await using gateway = await ownGateway();
    const table = 901;
    // One new order changes both fields: an order of the table, and an active order.
    const query = `{
      byTable: ordersGetOrdersByTable(table: ${table}) { _id }
      active: ordersGetActiveOrders { _id table }
    }`;
    const read = async (): Promise<{ byTable: string[]; active: string[] }> => {
      const result = await data(gateway.url, query);
      const byTable = (result["byTable"] as Pick<OrderFields, "_id">[]).map((order) => order._id);
      const active = (result["active"] as Pick<OrderFields, "_id" | "table">[])
        .filter((order) => order.table === table)
        .map((order) => order._id);
      return { byTable, active };
    };
    await warm(gateway, null, read);
    expect(gateway.upstream.warmCount).toBe(2);

    const direct = convexHttp(backend.url);
    const viaGateway = async (dish: string): Promise<void> => {
      await data(
        gateway.url,
        "mutation Place($table: Float!, $dish: String!) { ordersPlaceOrder(dish: $dish, table: $table) }",
        { table, dish },
      );
    };
    const answers: { byTable: string[]; active: string[] }[] = [];
    /** Three readers read until `writes` is done. */
    const readWhile = async (writes: Promise<void>): Promise<number> => {
      let writing = true;
      const done = writes.finally(() => {
        writing = false;
      });
      let reads = 0;
      const readers = [0, 1, 2].map(async () => {
        while (writing) {
          answers.push(await read());
          reads++;
        }
      });
      await within(Promise.all([done, ...readers]), 10_000, "the writers and readers");
      return reads;
    };

    // Writes straight against the backend: every read is answered from the warm subscriptions,
    // which the backend updates together (at most one rerun of each query per write).
    let executions = queryExecutions();
    const cachedReads = await readWhile(
      (async () => {
        for (let i = 0; i < 10; i++)
          await direct.mutation(api.orders.placeOrder, { dish: `direct ${i}`, table });
      })(),
    );
    expect(cachedReads).toBeGreaterThan(3);
    expect(queryExecutions() - executions).toBeLessThanOrEqual(2 * 10);

    // Writes through the gateway too (reads go upstream while the client is behind them).
    executions = queryExecutions();
    const mixedReads = await readWhile(
      (async () => {
        for (let i = 0; i < 10; i++) {
          if (i % 2 === 0) await viaGateway(`gateway ${i}`);
          else await direct.mutation(api.orders.placeOrder, { dish: `direct again ${i}`, table });
        }
      })(),
    );
    expect(mixedReads).toBeGreaterThan(3);

    // Both fields of every answer saw the same orders of the table (every order is still active).
    for (const answer of answers) expect(answer.active).toEqual(answer.byTable);
    const final = await read();
    expect(final.byTable).toHaveLength(20);
    expect(final.active).toEqual(final.byTable);
  });
});

describe("Cache-Control: no-cache", () => {
  const fresh = { "cache-control": "no-cache" };

  it("answers a warm query once the backend's latest timestamp proves it current", async () => {
    await using gateway = await ownGateway();
    const name = "no-cache";
    await warm(gateway, null, () => readCounter(gateway, name));
    expect(gateway.upstream.warmCount).toBe(1);
    // Nothing changed since the session synced: one /api/query_ts, no execution.
    for (let i = 0; i < 3; i++) {
      const executions = queryExecutions();
      expect(await data(gateway.url, COUNTER, { name }, fresh)).toEqual({ countersGet: 0 });
      expect(queryExecutions() - executions).toBe(0);
    }
  });

  it("sees a write made elsewhere at once, pushed or not", async () => {
    await using gateway = await ownGateway();
    const name = "no-cache-elsewhere";
    await warm(gateway, null, () => readCounter(gateway, name));
    const direct = convexHttp(backend.url);
    for (let i = 1; i <= 5; i++) {
      // Straight to the backend: the gateway learns of it only through its session's push.
      await direct.mutation(api.counters.increment, { name });
      expect(await data(gateway.url, COUNTER, { name }, fresh)).toEqual({ countersGet: i });
    }
  });

  it("reads upstream when the session is behind the backend's latest timestamp", async () => {
    await using gateway = await ownGateway();
    const name = "no-cache-behind";
    await warm(gateway, null, () => readCounter(gateway, name));
    // A write the session does not read: the backend pushes nothing, the session stays behind.
    await convexHttp(backend.url).mutation(api.counters.increment, { name: "no-cache-unrelated" });
    const executions = queryExecutions();
    expect(await data(gateway.url, COUNTER, { name }, fresh)).toEqual({ countersGet: 0 });
    expect(queryExecutions() - executions).toBe(1);
  });

  it("reads a query the session does not hold through it: its Transition proves it fresh", async () => {
    await using gateway = await ownGateway();
    await warm(gateway, null, () => readCounter(gateway, "no-cache-opener"));
    const warmBefore = gateway.upstream.warmCount;
    const executions = queryExecutions();
    const name = "no-cache-new";
    expect(await data(gateway.url, COUNTER, { name }, fresh)).toEqual({ countersGet: 0 });
    // One execution, as a subscription of the session (kept warm after), not over HTTP.
    expect(queryExecutions() - executions).toBe(1);
    expect(gateway.upstream.warmCount).toBe(warmBefore + 1);
  });
});

describe("bounds", () => {
  it("keeps an upstream client open while its mutations are in flight, however short idleMs", async () => {
    // The sessions themselves: every mutation is sent at once, so only the in-flight count keeps the
    // client from closing while one socket works through them one at a time.
    const pool = new UpstreamSessions(backend.url, { idleMs: 100 });
    await using _pool = { [Symbol.asyncDispose]: () => pool.close() };
    pool.session(null);
    await eventually(() => pool.canWrite(null), "the anonymous client to take writes");
    const name = "inflight-idle";
    // Watch the pool's client on every turn of the event loop while the mutations run.
    let closedWhileInFlight = false;
    const watch = setInterval(() => (closedWhileInFlight ||= pool.clientCount === 0), 1);
    const values = await Promise.all(
      Array.from(
        { length: 300 },
        async () =>
          (await pool.session(null).mutation("counters:increment", { name }, 60_000)) as number,
      ),
    ).finally(() => clearInterval(watch));
    expect(closedWhileInFlight, "the client closed with mutations in flight").toBe(false);
    expect(values.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // Once nothing is in flight, the same client does close after idleMs.
    await eventually(() => pool.clientCount === 0, "the idle client to close");
  });

  it("drops a warm subscription queryCacheMs after the read", async () => {
    await using gateway = await ownGateway({ queryCacheMs: 300 });
    const name = "expiry";
    await warm(gateway, null, () => readCounter(gateway, name));
    expect(gateway.upstream.warmCount).toBe(1);
    // Not dropped at once: a repeat right after the read is still answered warm.
    const warmFrom = queryExecutions();
    expect(await readCounter(gateway, name)).toBe(0);
    expect(queryExecutions() - warmFrom).toBe(0);
    await eventually(
      () => gateway.upstream.warmCount === 0,
      "the warm subscription to be dropped",
      2_000,
    );
    expect(gateway.upstream.subscriptionCount).toBe(0);

    // Read again: it goes upstream (a new subscription) and is warm again.
    const executions = queryExecutions();
    expect(await readCounter(gateway, name)).toBe(0);
    expect(queryExecutions() - executions).toBe(1);
    expect(gateway.upstream.warmCount).toBe(1);
  });

  it("keeps at most maxWarmQueries warm, dropping the least recently used", async () => {
    await using gateway = await ownGateway({ maxWarmQueries: 2 });
    await warm(gateway, null, () => readCounter(gateway, "lru-a"));
    await readCounter(gateway, "lru-b");
    await readCounter(gateway, "lru-c");
    expect(gateway.upstream.warmCount).toBe(2);
    expect(gateway.upstream.subscriptionCount).toBe(0);

    // b and c are warm; a (the oldest) was dropped.
    let executions = queryExecutions();
    await readCounter(gateway, "lru-b");
    await readCounter(gateway, "lru-c");
    expect(queryExecutions() - executions).toBe(0);
    executions = queryExecutions();
    await readCounter(gateway, "lru-a");
    expect(queryExecutions() - executions).toBe(1);
    expect(gateway.upstream.warmCount).toBe(2);
  });

  it("reads every query upstream with queryCacheMs: 0", async () => {
    await using gateway = await ownGateway({ queryCacheMs: 0 });
    const name = "no-cache-gateway";
    await readCounter(gateway, name);
    await eventually(
      () => gateway.upstream.canRead(null),
      "the anonymous upstream client to connect",
    );
    for (let i = 0; i < 5; i++) {
      const executions = queryExecutions();
      expect(await readCounter(gateway, name)).toBe(0);
      expect(queryExecutions() - executions).toBe(1);
    }
    expect(gateway.upstream.warmCount).toBe(0);
    expect(gateway.upstream.subscriptionCount).toBe(0);
  });
});

describe("errors", () => {
  it("reports a ConvexError and a bad argument the same from the cache as over HTTP", async () => {
    await using gateway = await ownGateway();
    const probe = { query: '{ probeFail(code: "TEAPOT") }' };
    const badArgument = { query: '{ ordersGetOrderById(id: "not-an-id") { _id } }' };

    // Over HTTP: the identity has no client yet.
    const probeOverHttp = (await post(gateway.url, probe)).json();
    const badOverHttp = (await post(gateway.url, badArgument)).json();
    expect(probeOverHttp.data).toEqual({ probeFail: null });
    expect(probeOverHttp.errors?.[0]).toMatchObject({
      message: "The probe failed with TEAPOT",
      path: ["probeFail"],
      extensions: {
        code: "TEAPOT",
        data: { code: "TEAPOT", message: "The probe failed with TEAPOT" },
      },
    });
    expect(badOverHttp.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(badOverHttp.errors?.[0]?.message).toMatch(/v\.id\("orders"\)/);

    // A successful read opens the client; then both are answered through it.
    await readCounter(gateway, "errors");
    await eventually(
      () => gateway.upstream.canRead(null),
      "the anonymous upstream client to connect",
    );
    const warmBefore = gateway.upstream.warmCount;
    const probeCached = (await post(gateway.url, probe)).json();
    const badCached = (await post(gateway.url, badArgument)).json();
    // They went through the client: their subscriptions are warm now.
    expect(gateway.upstream.warmCount).toBe(warmBefore + 2);
    expect(probeCached).toEqual(probeOverHttp);
    expect(badCached).toEqual(badOverHttp);

    // And again, from the warm subscriptions.
    expect((await post(gateway.url, probe)).json()).toEqual(probeOverHttp);
    expect((await post(gateway.url, badArgument)).json()).toEqual(badOverHttp);
  });

  it("answers variables that do not coerce with 400 from the cache path as over HTTP", async () => {
    await using gateway = await ownGateway();
    const badVariables = {
      query: "query ($table: Float!) { ordersGetOrdersByTable(table: $table) { _id } }",
      variables: { table: "seven" },
    };
    const overHttp = await post(gateway.url, badVariables);
    await warm(gateway, null, () => readCounter(gateway, "bad-variables"));
    const cached = await post(gateway.url, badVariables);
    for (const answer of [overHttp, cached]) {
      expect(answer.status).toBe(400);
      expect(answer.json().data).toBeUndefined();
      expect(answer.json().errors?.[0]?.message).toMatch(/"\$table".*Float/);
    }
    expect(cached.json()).toEqual(overHttp.json());
  });

  it("answers UNAUTHENTICATED once the identity's token expired in use", async () => {
    await using gateway = await ownGateway();
    const token = await issuer.token("short-lived", { name: "Shorty" }, { expiresIn: 3 });
    const expiresAtMs = (decodeJwt(token).exp ?? 0) * 1000;
    const current = async (): Promise<WireResult> =>
      (await post(gateway.url, { query: "{ usersCurrent { name } }" }, bearer(token))).json();

    await data(gateway.url, "mutation { usersStore }", undefined, bearer(token));
    await eventually(
      () => gateway.upstream.canRead(token),
      "the user's upstream client to connect",
    );
    expect(await current()).toEqual({ data: { usersCurrent: { name: "Shorty" } } });
    expect(await current()).toEqual({ data: { usersCurrent: { name: "Shorty" } } });
    expect(Date.now()).toBeLessThan(expiresAtMs);

    // Past the token's expiry (not an assertion: the precondition of the next one).
    await within(
      // Past Convex's 5 s of leeway on `exp` too, after which HTTP reads refuse it as well.
      delay(Math.max(0, expiresAtMs + 5_300 - Date.now())),
      10_000,
      "the token to expire",
    );
    const expired = await current();
    expect(expired.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(expired.data ?? null).toEqual({ usersCurrent: null });
    // Not an anonymous answer, not the cached one, on later requests either.
    const again = await current();
    expect(again.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(gateway.upstream.canRead(token)).toBe(false);
  });
});
