/**
 * The child process of `engine_process.ts`: one backend (the example app, port 0, no file
 * watching) that answers the parent over the IPC channel. Run by `fork`, never by hand.
 *
 * The protocol (every message is a plain object with a `type`):
 *
 *   parent -> child   { type: "stats" }                      answer: { type: "stats", stats }
 *   parent -> child   { type: "close" }                      answer: { type: "closed" }, then exit 0
 *   child  -> parent  { type: "ready", url }                 once, when the backend listens
 *   child  -> parent  { type: "failed", message }            startup failed, then exit 1
 *
 * The options come in `argv`: `DATA_FILE DURABILITY [APP_DIR]` (default: the example app). When the parent goes away (the channel
 * disconnects) the child closes the backend and exits, so a crashed benchmark leaves nothing behind.
 */
import { performance } from "node:perf_hooks";
import { startBackend, type Backend, type Durability } from "../../engine/index.ts";
import { REPO_ROOT, type EngineStats, type ChildMessage, type ParentMessage } from "./protocol.ts";

function send(message: ChildMessage): void {
  process.send?.(message);
}

function snapshot(backend: Backend): EngineStats {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  return {
    committer: { ...backend.engine.committer.stats },
    executor: { ...backend.engine.executor.stats },
    cpuMicros: cpu.user + cpu.system,
    eventLoop: { idle: elu.idle, active: elu.active },
    wallMs: performance.now(),
  };
}

function parseDurability(text: string | undefined): Durability {
  if (text === "full" || text === "normal") return text;
  throw new Error(
    `engine_child: expected durability "full" or "normal", got ${JSON.stringify(text)}`,
  );
}

async function main(): Promise<void> {
  const [dataFile, durabilityText, appDir] = process.argv.slice(2);
  if (dataFile === undefined)
    throw new Error("engine_child: usage: engine_child.ts DATA_FILE DURABILITY");
  const backend = await startBackend({
    dir: appDir ?? REPO_ROOT,
    port: 0,
    dataFile,
    watch: false,
    log: () => {},
    durability: parseDurability(durabilityText),
  });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => (closing ??= backend.close());

  process.on("message", (raw) => {
    const message = raw as ParentMessage;
    switch (message.type) {
      case "stats":
        send({ type: "stats", stats: snapshot(backend) });
        return;
      case "close":
        void close().then(() => {
          send({ type: "closed" });
          process.disconnect();
        });
        return;
      default:
        message satisfies never;
    }
  });
  process.on("disconnect", () => void close());
  send({ type: "ready", url: backend.url });
}

main().catch((error: unknown) => {
  send({
    type: "failed",
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exitCode = 1;
  process.disconnect();
});
