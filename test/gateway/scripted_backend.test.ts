/**
 * What only a scripted backend can stage.
 *
 * A backend that never answers a token check: a graphql-ws connect with a token is closed with
 * 1013 (try again later) once the upstream timeout passes, not 4403 (the token is not at fault).
 *
 * A race: a query unsubscribed and subscribed again before
 * the Transition answering its removal. The official client then hands the new subscription the
 * result it kept from before (without a Transition), and a Transition computed before the server
 * saw the new subscription drops that result again. The gateway's pool must not let such a
 * result into an answer: every answer stays one consistent state of the backend.
 *
 * The backend here is a WebSocket server speaking Convex's sync protocol (engine/sync/PROTOCOL.md)
 * to the real official client (`BaseConvexClient`) inside the real `UpstreamSessions`, with a
 * script deciding when it answers: the embedded engine answers too fast to stage the race.
 */
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import type { ExecutionResult } from "graphql";
import { warmReadAccess } from "../../gateway/upstream/warm_read.ts";
import { UpstreamSessions } from "../../gateway/upstream/sessions.ts";
import type { ConvexAccess } from "../../gateway/context.ts";
import { startTestGateway, wsClient, record } from "./support/gateway.ts";
import { describeFailure as describeError } from "../utils/recorder.ts";
import { delay } from "../utils/waits.ts";

function encodeTs(ts: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(ts));
  return bytes.toString("base64");
}

interface Modification {
  readonly type: string;
  readonly queryId: number;
  readonly args?: [{ name: string }];
}

/** Serves `counters:get({name})` from `values`; each answer waits `delayMs()` in order. */
async function scriptedBackend(values: Record<string, number>) {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const state = { querySet: 0, ts: 0, removeDelayMs: 0, addDelayMs: 0, writeOnRemove: false };
  const subscribed = new Map<number, string>();
  let answers = Promise.resolve();
  server.on("connection", (socket: WebSocket) => {
    socket.on("message", (raw: Buffer) => {
      const message = JSON.parse(raw.toString()) as {
        type: string;
        newVersion?: number;
        modifications?: Modification[];
      };
      if (message.type !== "ModifyQuerySet") return;
      const modifications = message.modifications ?? [];
      const removes = modifications.filter((m) => m.type === "Remove");
      const adds = modifications.filter((m) => m.type === "Add");
      const delay =
        removes.length > 0 ? state.removeDelayMs : adds.length > 0 ? state.addDelayMs : 0;
      answers = answers.then(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              const out: object[] = [];
              for (const remove of removes) {
                subscribed.delete(remove.queryId);
                out.push({ type: "QueryRemoved", queryId: remove.queryId });
              }
              let ts = Math.max(state.ts, 1);
              if (removes.length > 0 && state.writeOnRemove) {
                // A commit changed every counter before this Transition: the queries the server
                // knows get their new results (the new subscription is not known yet).
                state.writeOnRemove = false;
                for (const name of Object.keys(values)) values[name] = (values[name] ?? 0) + 1;
                ts += 1;
                for (const [queryId, name] of subscribed) {
                  out.push(updated(queryId, values[name]));
                }
              }
              for (const add of adds) {
                const name = add.args?.[0].name ?? "";
                subscribed.set(add.queryId, name);
                out.push(updated(add.queryId, values[name]));
              }
              socket.send(
                JSON.stringify({
                  type: "Transition",
                  startVersion: { querySet: state.querySet, identity: 0, ts: encodeTs(state.ts) },
                  endVersion: {
                    querySet: message.newVersion,
                    identity: 0,
                    ts: encodeTs(ts),
                  },
                  modifications: out,
                }),
              );
              state.querySet = message.newVersion ?? state.querySet;
              state.ts = ts;
              resolve();
            }, delay),
          ),
      );
    });
  });
  const updated = (queryId: number, value: number | undefined) => ({
    type: "QueryUpdated",
    queryId,
    value: value ?? null,
    logLines: [],
    journal: null,
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it("never answers with a result the client kept from before a query was subscribed again", async () => {
  const backend = await scriptedBackend({ a: 0, b: 0 });
  cleanups.push(backend.close);
  const pool = new UpstreamSessions(backend.url, { idleMs: 60_000 });
  cleanups.push(() => pool.close());
  // An operation reading two counters that every write changes together.
  const bothCounters = async (access: ConvexAccess) => ({
    data: {
      a: await access.run("query", "counters:get", { name: "a" }),
      b: await access.run("query", "counters:get", { name: "b" }),
    },
  });
  const writes: ConvexAccess = { run: () => Promise.reject(new Error("reads only")) };
  // A one-off read from the session, run again until its reads were consistent (as executor.ts).
  const read = async (warmMs: number): Promise<ExecutionResult> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const access = warmReadAccess(pool.session(null), { timeoutMs: 5_000, warmMs, writes });
      const result = await bothCounters(access);
      if (access.finish(result) === "done") return result;
    }
    throw new Error("no consistent read in 10 attempts");
  };
  const holdA = pool.subscribe(null, "counters:get", { name: "a" }, () => {}, 60_000);
  const holdB = pool.subscribe(null, "counters:get", { name: "b" }, () => {});
  cleanups.push(() => Promise.resolve(holdA.release()));
  expect((await read(0)).data).toEqual({ a: 0, b: 0 });

  // b's subscription ends; the server answers the removal after 50 ms with a write that changed
  // both counters, and the new subscription of b only after 300 ms.
  backend.state.removeDelayMs = 50;
  backend.state.addDelayMs = 300;
  backend.state.writeOnRemove = true;
  holdB.release();
  const answers = [read(60_000)];
  await delay(120);
  answers.push(read(60_000));
  for (const answer of await Promise.all(answers)) {
    const { a, b } = answer.data as { a: number; b: number };
    expect(a, `one state of the backend: ${JSON.stringify(answer.data)}`).toBe(b);
  }
});

it("closes a graphql-ws connect with 1013 when the backend does not answer its token check", async () => {
  // Accepts sockets, answers nothing.
  const silent = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => silent.once("listening", resolve));
  cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
  const { port } = silent.address() as AddressInfo;
  const gateway = await startTestGateway(`http://127.0.0.1:${port}`, { upstreamTimeoutMs: 300 });
  cleanups.push(() => gateway.close());
  const client = wsClient(gateway.url, {
    connectionParams: { authorization: "Bearer some.jwt.token" },
  });
  cleanups.push(async () => {
    await client.dispose();
  });
  using watch = record(client, { query: 'subscription { countersGet(name: "x") }' });
  const error = await watch.failure("the socket to be closed");
  expect(describeError(error)).toMatch(/^close 1013/);
  expect(client.closes[0]?.code).toBe(1013);
});
