/**
 * Runs the backend in a child process of its own, so the engine has a whole event loop (and CPU
 * core) to itself and the benchmark's callers do not eat into what is measured.
 *
 *   starting --ready--> running --close()--> closing --exit--> exited
 *       \--failed / exit--> (startEngineProcess rejects)
 *
 * Set `BENCH_CPU_PROF=DIR` to run the child with `--cpu-prof --cpu-prof-dir=DIR`: each engine run
 * then leaves a `.cpuprofile` of the engine alone (open it in Chrome DevTools or speedscope).
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Durability } from "../../engine/index.ts";
import { REPO_ROOT, type ChildMessage, type EngineStats, type ParentMessage } from "./protocol.ts";

/** How long the child may take to bundle the app and listen, or to close. */
const STARTUP_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;

export interface EngineProcessOptions {
  /** The SQLite file of the backend (its folder is created if needed). */
  readonly dataFile: string;
  readonly durability: Durability;
  /** The app folder (holding `convex/`). @default the repository root (the example app) */
  readonly dir?: string;
}

/** A running backend in a child process; `await using` closes it. */
export interface EngineProcess extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, the deployment URL. */
  readonly url: string;
  /** A snapshot of the engine's counters, CPU time and event-loop use. */
  stats(): Promise<EngineStats>;
  /** Closes the backend (flushing the data file) and waits for the child to exit. */
  close(): Promise<void>;
}

function nextMessage<T extends ChildMessage["type"]>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (raw: unknown): void => {
      const message = raw as ChildMessage;
      if (message.type === "failed") {
        cleanup();
        reject(new Error(`engine child failed to start:\n${message.message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as Extract<ChildMessage, { type: T }>);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(
        new Error(
          `engine child exited (code ${code}, signal ${signal}) while waiting for "${type}"`,
        ),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`engine child did not answer "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Forks `engine_child.ts` and resolves once its backend listens. */
export async function startEngineProcess(options: EngineProcessOptions): Promise<EngineProcess> {
  const profileDir = process.env["BENCH_CPU_PROF"];
  const child = fork(
    path.join(REPO_ROOT, "cli", "run_ts.js"),
    [
      path.join(REPO_ROOT, "bench", "support", "engine_child.ts"),
      options.dataFile,
      options.durability,
      ...(options.dir !== undefined ? [options.dir] : []),
    ],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
    },
  );
  const send = (message: ParentMessage): void => {
    child.send(message);
  };
  let ready: { url: string };
  try {
    ready = await nextMessage(child, "ready", STARTUP_TIMEOUT_MS);
  } catch (error) {
    child.kill();
    await exited(child);
    throw error;
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (child.connected) {
        const closed = nextMessage(child, "closed", CLOSE_TIMEOUT_MS);
        send({ type: "close" });
        await closed.catch(() => child.kill());
      }
      await exited(child);
    })());

  return {
    url: ready.url,
    async stats() {
      const answer = nextMessage(child, "stats", CLOSE_TIMEOUT_MS);
      send({ type: "stats" });
      return (await answer).stats;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
