/**
 * Child processes of the gateway benchmarks: forking one (parent side) and answering the parent
 * (child side). Messages are plain objects with a `type` (tables in `gateway_protocol.ts`).
 *
 * Parent side, the life of a child:
 *
 *   forked --{type:"ready"}--> running --close()--> closing --{type:"closed"} / exit--> exited
 *      \--{type:"failed"} / exit / timeout--> (forkChild rejects, the child is killed)
 *
 * Set `BENCH_CPU_PROF=DIR` to run the children with `--cpu-prof --cpu-prof-dir=DIR` (as the
 * engine children of `engine_process.ts` do): each leaves a `.cpuprofile` of its own.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./protocol.ts";

/** How long a child may take to start (bundle, listen), or to close. */
const STARTUP_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 20_000;

type Typed = { readonly type: string };

/** The parent's end of a running child. `await using` closes it. */
export interface Child<Request extends Typed, Message extends Typed> extends AsyncDisposable {
  readonly process: ChildProcess;
  send(message: Request): void;
  /** The next message of `type`; rejects on timeout, on `failed` and when the child exits. */
  next<T extends Message["type"]>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<Message, { type: T }>>;
  /** Calls `listener` with every message from now on; returns the function that stops it. */
  listen(listener: (message: Message) => void): () => void;
  /** Sends `{type: "close"}`, waits for the child to exit (kills it after a timeout). */
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function nextMessage<Message extends Typed, T extends Message["type"]>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
  what: string,
): Promise<Extract<Message, { type: T }>> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    const onMessage = (raw: unknown): void => {
      const message = raw as Message | { type: "failed"; message: string };
      if (message.type === "failed" && type !== "failed") {
        cleanup();
        reject(new Error(`${what} failed:\n${(message as { message: string }).message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as Extract<Message, { type: T }>);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`${what} exited (code ${code}, signal ${signal}) waiting for "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} did not answer "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

export interface ForkOptions {
  /** Extra Node flags (e.g. `--expose-gc`). */
  readonly execArgv?: readonly string[];
  /** A name for error messages. */
  readonly what: string;
}

/** Forks `bench/support/SCRIPT` (through `cli/run_ts.js`) and resolves once it says `ready`. */
export async function forkChild<Request extends Typed, Message extends Typed>(
  script: string,
  args: readonly string[],
  options: ForkOptions,
): Promise<{ child: Child<Request, Message>; ready: Extract<Message, { type: "ready" }> }> {
  const profileDir = process.env["BENCH_CPU_PROF"];
  const execArgv = [...(options.execArgv ?? [])];
  if (profileDir !== undefined) execArgv.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
  const child = fork(
    path.join(REPO_ROOT, "cli", "run_ts.js"),
    [path.join(REPO_ROOT, "bench", "support", script), ...args],
    { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv },
  );
  let ready: Extract<Message, { type: "ready" }>;
  try {
    ready = await nextMessage<Message, "ready">(child, "ready", STARTUP_TIMEOUT_MS, options.what);
  } catch (error) {
    child.kill();
    await exited(child);
    throw error;
  }
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (child.connected) {
        const closed = nextMessage<Typed, "closed">(
          child,
          "closed",
          CLOSE_TIMEOUT_MS,
          options.what,
        );
        child.send({ type: "close" });
        await closed.catch(() => child.kill());
      }
      await exited(child);
    })());
  const handle: Child<Request, Message> = {
    process: child,
    send(message) {
      child.send(message);
    },
    next: (type, timeoutMs) =>
      nextMessage<Message, typeof type>(child, type, timeoutMs, options.what),
    listen(listener) {
      const onMessage = (raw: unknown): void => listener(raw as Message);
      child.on("message", onMessage);
      return () => child.off("message", onMessage);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return { child: handle, ready };
}

/** Child side: sends `message` to the parent (dropped when the channel is gone). */
export function sendToParent(message: {
  readonly type: string;
  readonly [field: string]: unknown;
}): void {
  if (process.connected) process.send?.(message);
}

/** What a child's `main` hands back once it is up. */
export interface StartedChild {
  /** Sent to the parent as soon as `close` is in place: `{type: "ready", ...}`. */
  readonly ready: Typed;
  /** Releases everything the child holds. */
  readonly close: () => Promise<void>;
}

/**
 * Child side: runs `main`, then says `ready`; a failure is reported as `{type: "failed"}` and
 * ends the child. `close` runs once, on `{type: "close"}` (then the child says `closed` and lets
 * go of the channel) or when the parent goes away, and the child exits.
 */
export function runChild(main: () => Promise<StartedChild>): void {
  let close: (() => Promise<void>) | null = null;
  let closing: Promise<void> | null = null;
  const closeOnce = (): Promise<void> => (closing ??= close?.() ?? Promise.resolve());
  process.on("message", (raw) => {
    if ((raw as Typed).type !== "close") return;
    void closeOnce().then(() => {
      sendToParent({ type: "closed" });
      process.disconnect();
    });
  });
  process.on("disconnect", () => {
    void closeOnce().then(() => process.exit(process.exitCode ?? 0));
  });
  main().then(
    (started) => {
      close = started.close;
      sendToParent(started.ready);
    },
    (error: unknown) => {
      sendToParent({
        type: "failed",
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.exitCode = 1;
      process.disconnect();
    },
  );
}
