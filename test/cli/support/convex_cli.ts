/**
 * Convex's own CLI (`node_modules/.bin/convex`) pointed at a backend with the self-hosted
 * variables, run as a user runs it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, tempDir } from "../../utils/backend.ts";
import { within } from "../../utils/waits.ts";

const CONVEX_CLI = path.join(REPO_ROOT, "node_modules", ".bin", "convex");

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `convex ...args` in `cwd` with the self-hosted variables, until it exits or prints
 * `until` on stderr (the CLI reports a refused key and keeps its socket open).
 */
export async function convexCli(
  args: readonly string[],
  deployment: { url: string; adminKey: string },
  cwd: string,
  until?: string,
): Promise<CliRun> {
  const env = {
    ...process.env,
    CONVEX_SELF_HOSTED_URL: deployment.url,
    CONVEX_SELF_HOSTED_ADMIN_KEY: deployment.adminKey,
    CONVEX_DEPLOYMENT: "",
  };
  const child = spawn(CONVEX_CLI, args, { cwd, env });
  using _stop = { [Symbol.dispose]: () => void child.kill() };
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const code = await within(
    new Promise<number | null>((resolve) => {
      child.once("exit", resolve);
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        if (until !== undefined && stderr.includes(until)) resolve(null);
      });
    }),
    90_000,
    `npx convex ${args.join(" ")}`,
  );
  return { code, stdout, stderr };
}

/** An empty app folder, as the CLI wants one: a package.json naming convex. */
export function appFolder(): ReturnType<typeof tempDir> {
  const folder = tempDir("convex-graphql-cli-");
  fs.writeFileSync(
    path.join(folder.path, "package.json"),
    JSON.stringify({ name: "app", dependencies: { convex: "1.48.0" } }),
  );
  return folder;
}
