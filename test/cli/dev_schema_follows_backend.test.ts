/**
 * `convex-graphql dev` serves the GraphQL schema of the functions the backend actually runs: an
 * edit the backend refuses (here an `auth.config.ts` naming an unset variable; a `schema.ts` that
 * existing documents do not match is the common case) leaves the schema as it was, so clients are
 * never served fields (or non-null types) the running functions do not have; once the backend
 * serves a version, the schema follows.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { delay, eventually, within } from "../utils/waits.ts";

const TASKS_APP = path.join(REPO_ROOT, "test", "fixtures", "tasks_app");

const EXTRA = [
  'import { queryGeneric } from "convex/server";',
  'export const ping = queryGeneric({ args: {}, handler: async () => "pong" });',
  "",
].join("\n");

it("does not serve the schema of a version the backend refused, and follows the next one", async () => {
  await using folder = tempDir();
  const app = path.join(folder.path, "app");
  fs.cpSync(path.join(TASKS_APP, "convex"), path.join(app, "convex"), { recursive: true });
  const envFile = path.join(folder.path, ".env");
  fs.writeFileSync(envFile, "CLERK_JWT_ISSUER_DOMAIN=https://issuer.test\n");
  const child = spawn(
    process.execPath,
    [
      ...["cli/bin.js", "dev", "--dir", app, "--data", path.join(folder.path, "data.sqlite3")],
      ...["--port", "0", "--backend-port", "0", "--site-port", "0", "--env-file", envFile],
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  try {
    await eventually(() => /GraphQL: +http/.test(stdout), "dev to start", 60_000);
    const url = /GraphQL: +(\S+)/.exec(stdout)?.[1] ?? "";
    const hasPing = async (): Promise<boolean> => {
      const response = await within(
        fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: `{ __type(name: "Query") { fields { name } } }` }),
        }),
        5_000,
        "introspection",
      );
      const body = (await response.json()) as {
        data: { __type: { fields: { name: string }[] } };
      };
      return body.data.__type.fields.some((field) => field.name === "extraPing");
    };
    expect(await hasPing()).toBe(false);

    // One edit: a new function, and an auth.config.ts the backend refuses.
    const authConfig = path.join(app, "convex", "auth.config.ts");
    const goodConfig = fs.readFileSync(authConfig, "utf8");
    fs.writeFileSync(authConfig, goodConfig.replace("CLERK_JWT_ISSUER_DOMAIN", "UNSET_DOMAIN"));
    fs.writeFileSync(path.join(app, "convex", "extra.ts"), EXTRA);
    await eventually(
      () => stderr.includes("Environment variable UNSET_DOMAIN is used in auth config file"),
      "the backend to refuse the version",
      30_000,
    );
    await delay(3_000); // longer than a schema derivation of this app takes
    expect(await hasPing()).toBe(false);

    fs.writeFileSync(authConfig, goodConfig);
    await eventually(hasPing, "the schema to follow the version the backend serves", 30_000);
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await within(exited, 15_000, "dev to exit");
  }
});
