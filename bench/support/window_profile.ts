/**
 * A CPU profile of one window of a benchmark child (the measured updates of `bench/fanout.ts`,
 * say), through `node:inspector`: unlike `--cpu-prof`, start-up and connecting stay out of it.
 * Enabled by `BENCH_WINDOW_PROF=DIR`; `start()` (re)starts the profile, `stop(name)` writes it
 * to `DIR/NAME-PID.cpuprofile`. Without the variable both do nothing.
 */
import fs from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";

const dir = process.env["BENCH_WINDOW_PROF"];
let session: Session | null = null;

function post(method: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session?.post(method, (error, result) => (error === null ? resolve(result) : reject(error)));
  });
}

/** Starts (or restarts) the profile of the window. */
export async function startWindowProfile(): Promise<void> {
  if (dir === undefined || dir === "") return;
  if (session === null) {
    session = new Session();
    session.connect();
    await post("Profiler.enable");
  } else {
    await post("Profiler.stop");
  }
  await post("Profiler.start");
}

/** Stops the profile and writes it as `NAME-PID.cpuprofile`; nothing if none runs. */
export async function stopWindowProfile(name: string): Promise<void> {
  if (dir === undefined || dir === "" || session === null) return;
  const { profile } = (await post("Profiler.stop")) as { profile: unknown };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
  session.disconnect();
  session = null;
}
