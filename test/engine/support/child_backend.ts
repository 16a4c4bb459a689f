/**
 * The backend as a child process, started the way users start it
 * (`node cli/bin.js backend --dir APP --port 0 --data FILE --no-watch`), so that tests can kill it
 * with SIGKILL and start it again on the same data file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "../../utils/backend.ts";
import { within } from "../../utils/waits.ts";

const READY = /Convex backend ready at (http:\/\/\S+)\nHTTP actions at (http:\/\/\S+)\n/;

/** A running backend process; disposing it kills it if it is still alive. */
export interface ChildBackend extends AsyncDisposable {
  readonly url: string;
  /** The site URL it printed (HTTP actions). */
  readonly siteUrl: string;
  readonly process: ChildProcess;
  /** What the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Sends SIGKILL and waits until the process is gone. */
  kill9(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts `cli/bin.js backend` for `dir` on port 0; resolves once it printed its URL. */
export async function startChildBackend(options: {
  dir: string;
  dataFile: string;
  /** More command-line arguments (e.g. `--env-file FILE`). */
  args?: readonly string[];
}): Promise<ChildBackend> {
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, "cli", "bin.js"),
      "backend",
      "--dir",
      options.dir,
      "--port",
      "0",
      "--site-port",
      "0",
      "--data",
      options.dataFile,
      "--no-watch",
      ...(options.args ?? []),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding("utf8");

  const kill9 = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await within(exited(child), 10_000, "the backend process to exit");
  };

  let url: string;
  let siteUrl: string;
  try {
    [url, siteUrl] = await within(
      new Promise<[string, string]>((resolve, reject) => {
        child.stdout.on("data", (chunk: string) => {
          stdout += chunk;
          const match = READY.exec(stdout);
          if (match?.[1] !== undefined && match[2] !== undefined) resolve([match[1], match[2]]);
        });
        child.once("error", reject);
        child.once("exit", (code, signal) =>
          reject(
            new Error(
              `The backend exited before it was ready (code ${code}, signal ${signal}).\n${stderr}`,
            ),
          ),
        );
      }),
      30_000,
      "the backend process to print its URL",
    );
  } catch (error) {
    await kill9();
    throw error;
  }
  return {
    url,
    siteUrl,
    process: child,
    stderr: () => stderr,
    kill9,
    async [Symbol.asyncDispose]() {
      await kill9();
    },
  };
}
