/**
 * The CLI's logs and signals, on `convex-graphql backend` run as users run it:
 * - with stderr not a terminal, logs are JSON lines; `--log-level debug` logs each HTTP request
 *   with the caller's `X-Request-Id`; the start-up lines stay on stdout, unchanged;
 * - an unknown `--log-level` is refused with the usage (exit 2);
 * - SIGTERM shuts down gracefully: exit code 0.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { startChildBackend } from "../engine/support/child_backend.ts";
import { within } from "../utils/waits.ts";

it("logs JSON lines with the request id at --log-level debug, and exits 0 on SIGTERM", async () => {
  await using dir = tempDir();
  await using child = await startChildBackend({
    dir: REPO_ROOT,
    dataFile: path.join(dir.path, "data.sqlite3"),
    args: ["--log-level", "debug"],
  });
  const response = await within(
    fetch(`${child.url}/api/query`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "cli-test-42" },
      body: JSON.stringify({ path: "counters:get", args: { name: "x" }, format: "json" }),
    }),
    5_000,
    "a query",
  );
  expect(response.status).toBe(200);
  await within(response.text(), 5_000, "its body");

  const exited = new Promise<number | null>((resolve) => child.process.once("exit", resolve));
  child.process.kill("SIGTERM");
  expect(await within(exited, 10_000, "the backend to exit")).toBe(0);

  const records = child
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(records.some((record) => /Loaded \d+ functions/.test(String(record["msg"])))).toBe(true);
  expect(records).toContainEqual(
    expect.objectContaining({ level: 20, requestId: "cli-test-42", path: "/api/query" }),
  );
});

it("refuses an unknown --log-level", async () => {
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, "cli", "bin.js"), "backend", "--log-level", "chatty"],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await within(
    new Promise<number | null>((resolve) => child.once("exit", resolve)),
    15_000,
    "the CLI to exit",
  );
  expect(code).toBe(2);
  expect(stderr).toContain(
    '--log-level must be one of trace, debug, info, warn, error, fatal, silent, got "chatty"',
  );
});
