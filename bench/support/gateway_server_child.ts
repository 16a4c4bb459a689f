/**
 * A server child of the gateway benchmarks (messages in `gateway_protocol.ts`): either the
 * gateway (`gateway CONVEX_URL [APP_DIR]`: `startGateway` with the example app's derived schema, exactly as
 * `convex-graphql gateway` serves it), the plain Yoga baseline (`yoga`, see
 * `gateway_plain_yoga.ts`) or the raw broadcast (`raw`, `gateway_raw_broadcast.ts`), on port 0 of 127.0.0.1. Forked with `--expose-gc` so that memory can
 * be read after a full collection. Run by `fork`, never by hand.
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { startGateway, type Gateway } from "../../gateway/index.ts";
import { appSchemaOfDir } from "../../cli/app_description.ts";
import { runChild, sendToParent } from "./gateway_child.ts";
import { startWindowProfile, stopWindowProfile } from "./window_profile.ts";
import { startPlainYoga, type PlainYoga } from "./gateway_plain_yoga.ts";
import { startRawBroadcast, type RawBroadcast } from "./gateway_raw_broadcast.ts";
import {
  monotonicMs,
  type ServerMessage,
  type ServerRequest,
  type ServerStats,
} from "./gateway_protocol.ts";
import { REPO_ROOT } from "./protocol.ts";

type Served =
  | { readonly kind: "gateway"; readonly gateway: Gateway }
  | { readonly kind: "yoga"; readonly yoga: PlainYoga }
  | { readonly kind: "raw"; readonly raw: RawBroadcast };

/** The baselines: they publish on request. */
function publisher(served: Served): PlainYoga | RawBroadcast {
  switch (served.kind) {
    case "gateway":
      throw new Error("publish: the gateway's updates come from Convex");
    case "yoga":
      return served.yoga;
    case "raw":
      return served.raw;
    default:
      return served satisfies never;
  }
}

function send(message: ServerMessage): void {
  sendToParent(message);
}

/** Full collections until the heap stops shrinking (at most 5), when `--expose-gc` is on. */
async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= previous * 0.99) break;
    previous = used;
  }
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

async function stats(served: Served, gc: boolean): Promise<ServerStats> {
  const longestStallMs = loopDelay.max / 1e6;
  if (gc) await collect();
  loopDelay.reset(); // after the collection: its pause is not the next window's
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const memory = process.memoryUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    eventLoop: { idle: elu.idle, active: elu.active },
    longestStallMs,
    memory: {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      arrayBuffers: memory.arrayBuffers,
    },
    connections: served.kind === "gateway" ? null : publisher(served).connections,
    live:
      served.kind === "gateway"
        ? {
            operations: served.gateway.live.size,
            upstreamSubscriptions: served.gateway.upstream.subscriptionCount,
            upstreamClients: served.gateway.upstream.clientCount,
          }
        : null,
  };
}

async function start(): Promise<Served> {
  const [kind, convexUrl, appDir] = process.argv.slice(2);
  switch (kind) {
    case "gateway": {
      if (convexUrl === undefined) throw new Error("usage: gateway_server_child.ts gateway URL");
      const appSchema = await appSchemaOfDir(appDir ?? REPO_ROOT);
      const gateway = await startGateway({
        convexUrl,
        schema: () => appSchema.current(),
        port: 0,
      });
      return { kind, gateway };
    }
    case "yoga":
      return { kind, yoga: await startPlainYoga() };
    case "raw":
      return { kind, raw: await startRawBroadcast() };
    default:
      throw new Error(`gateway_server_child.ts: expected "gateway", "yoga" or "raw", got ${kind}`);
  }
}

runChild(async () => {
  const served = await start();
  process.on("message", (raw) => {
    const message = raw as ServerRequest;
    switch (message.type) {
      case "stats":
        // BENCH_WINDOW_PROF: a profile from the last stats after a GC to the next one without
        // (in fanout.ts: the measured updates).
        void stats(served, message.gc)
          .then(async (snapshot) => {
            if (message.gc) await startWindowProfile();
            else await stopWindowProfile(served.kind);
            return snapshot;
          })
          .then((snapshot) => send({ type: "stats", stats: snapshot }));
        return;
      case "publish": {
        const target = publisher(served);
        const atMs = monotonicMs();
        target.publish(message.value);
        send({ type: "published", value: message.value, atMs });
        return;
      }
      case "close":
        return; // runChild closes
      default:
        message satisfies never;
    }
  });
  return {
    ready: {
      type: "ready",
      url: served.kind === "gateway" ? served.gateway.url : publisher(served).url,
    } satisfies ServerMessage,
    close: () => (served.kind === "gateway" ? served.gateway.close() : publisher(served).close()),
  };
});
