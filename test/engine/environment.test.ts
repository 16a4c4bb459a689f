/**
 * Environment variables, against the env fixture app (`test/fixtures/env_app`): functions see the
 * deployment's variables as `process.env` (when they run, at module load time, in `"use node"`
 * modules and in `auth.config.ts`), never the host's; setting or removing one stores it with the
 * data and reloads the functions (subscriptions rerun); `convex-graphql env set|get|list|remove`
 * writes the data file, and a running backend (another process too) picks the change up;
 * `--env-file` stores a first set at start; invalid names and values are refused.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatEnvValue, runEnvCommand } from "../../cli/env_command.ts";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { startTestIssuer, type TestIssuer } from "../utils/jwt_issuer.ts";
import { httpClient, record, serve, syncClient } from "../sync/support/clients.ts";
import { startChildBackend } from "./support/child_backend.ts";
import { failure } from "./support/fixture.ts";
import { eventually, step, within } from "../utils/waits.ts";

const ENV_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "env_app");
/** Its `auth.config.ts` is Clerk's: `domain: process.env.CLERK_JWT_ISSUER_DOMAIN`. */
const TASKS_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "tasks_app");

const fns = {
  atLoad: makeFunctionReference<"query", Record<string, never>, string | null>("config:atLoad"),
  read: makeFunctionReference<"query", { name: string }, string | null>("config:read"),
  readInNode: makeFunctionReference<
    "action",
    { name: string },
    { atLoad: string | null; now: string | null; names: string[] }
  >("node_config:read"),
  subject: makeFunctionReference<"query", Record<string, never>, string | null>("identity:subject"),
};

/** Polls `config:atLoad` until it answers `expected` (bounded). */
async function atLoadBecomes(url: string, expected: string | null, what: string, ms = 5_000) {
  const client = httpClient(url);
  await eventually(
    async () => (await step(client.query(fns.atLoad, {}), "config:atLoad")) === expected,
    what,
    ms,
  );
}

/** A variable only the host (this test process) has: functions must never see it. */
const HOST_ONLY = "CONVEX_GRAPHQL_TEST_HOST_ONLY";

let issuer: TestIssuer;

beforeAll(async () => {
  process.env[HOST_ONLY] = "host secret";
  issuer = await step(startTestIssuer(), "the test issuer to start");
});

afterAll(async () => {
  delete process.env[HOST_ONLY];
  await issuer[Symbol.asyncDispose]();
});

describe("process.env in functions", () => {
  it("holds the deployment's variables in both runtimes, at load and at run time, never the host's", async () => {
    await using backend = await serve({
      dir: ENV_APP_DIR,
      env: { SUPPLIER_URL: "http://supplier.test", API_KEY: "k-1" },
    });
    const client = httpClient(backend.url);
    expect(await step(client.query(fns.atLoad, {}), "atLoad")).toBe("http://supplier.test");
    expect(await step(client.query(fns.read, { name: "API_KEY" }), "read")).toBe("k-1");
    expect(await step(client.query(fns.read, { name: HOST_ONLY }), "read")).toBeNull();
    expect(await step(client.query(fns.read, { name: "PATH" }), "read")).toBeNull();
    expect(await step(client.action(fns.readInNode, { name: "API_KEY" }), "node")).toEqual({
      atLoad: "http://supplier.test",
      now: "k-1",
      names: ["API_KEY", "CONVEX_CLOUD_URL", "CONVEX_SITE_URL", "SUPPLIER_URL"],
    });
  });

  it("holds Convex's system variables CONVEX_CLOUD_URL and CONVEX_SITE_URL, in both runtimes, from the first load", async () => {
    await using backend = await serve({ dir: ENV_APP_DIR });
    const client = httpClient(backend.url);
    const read = (name: string) => step(client.query(fns.read, { name }), `read ${name}`);
    expect(await read("CONVEX_CLOUD_URL")).toBe(backend.url);
    expect(await read("CONVEX_SITE_URL")).toBe(backend.siteUrl);
    const node = await step(client.action(fns.readInNode, { name: "CONVEX_SITE_URL" }), "node");
    expect(node.now).toBe(backend.siteUrl);
    // Not stored variables: `env list` does not show them.
    expect([...backend.engine.environmentVariables]).toEqual([]);
    // A stored variable of the same name wins (a custom domain, on Convex).
    await step(
      backend.engine.setEnvironmentVariables([
        { name: "CONVEX_SITE_URL", value: "https://tasks.example.com" },
      ]),
      "overriding the site URL",
    );
    expect(await read("CONVEX_SITE_URL")).toBe("https://tasks.example.com");
    expect(await read("CONVEX_CLOUD_URL")).toBe(backend.url);
  });

  it("changes when a variable is set or removed: the functions reload and subscriptions rerun", async () => {
    await using backend = await serve({ dir: ENV_APP_DIR });
    await using client = syncClient(backend.url);
    using atLoad = record(client, fns.atLoad, {});
    await atLoad.until(() => atLoad.values.length > 0, "the first result");
    expect(atLoad.latest).toBeNull();

    const report = await step(
      backend.engine.setEnvironmentVariables([{ name: "SUPPLIER_URL", value: "http://a.test" }]),
      "setting a variable",
    );
    expect(report.ok).toBe(true);
    await atLoad.value((value) => value === "http://a.test", "the value read at load");
    const node = await step(client.action(fns.readInNode, { name: "SUPPLIER_URL" }), "node");
    expect(node.atLoad).toBe("http://a.test");

    await step(
      backend.engine.setEnvironmentVariables([{ name: "SUPPLIER_URL", value: null }]),
      "removing it",
    );
    await atLoad.until(() => atLoad.latest === null, "the variable to be gone");
  });

  it("configures auth.config.ts: a provider named by a variable appears once it is set", async () => {
    await using backend = await serve({ dir: ENV_APP_DIR });
    const token = await issuer.token("carol");
    const refused = await failure(
      (() => {
        const client = httpClient(backend.url);
        client.setAuth(token);
        return client.query(fns.subject, {});
      })(),
    );
    expect(refused.message).toContain("No auth provider found");
    await step(
      backend.engine.setEnvironmentVariables([{ name: "TEST_JWT_ISSUER", value: issuer.url }]),
      "setting the issuer",
    );
    const client = httpClient(backend.url);
    client.setAuth(token);
    expect(await step(client.query(fns.subject, {}), "subject")).toBe("carol");
  });

  it("serves Convex Auth's set-up: the issuer is CONVEX_SITE_URL, whose HTTP actions serve its keys", async () => {
    await using folder = tempDir("convex-graphql-convex-auth-");
    const convexDir = path.join(folder.path, "convex");
    fs.mkdirSync(convexDir);
    const files: Record<string, string[]> = {
      "auth.config.ts": [
        'export default { providers: [{ domain: process.env.CONVEX_SITE_URL, applicationID: "convex" }] };',
      ],
      "http.ts": [
        'import { httpActionGeneric, httpRouter } from "convex/server";',
        "const site = process.env.CONVEX_SITE_URL;",
        "const http = httpRouter();",
        'http.route({ path: "/.well-known/openid-configuration", method: "GET", handler: httpActionGeneric(',
        "  async () => Response.json({ issuer: site, jwks_uri: `${site}/.well-known/jwks.json` })) });",
        'http.route({ path: "/.well-known/jwks.json", method: "GET", handler: httpActionGeneric(',
        '  async () => new Response(process.env.JWKS, { headers: { "content-type": "application/json" } })) });',
        "export default http;",
      ],
      "identity.ts": [
        'import { queryGeneric } from "convex/server";',
        "export const subject = queryGeneric({ args: {}, handler: async (ctx) =>",
        "  (await ctx.auth.getUserIdentity())?.subject ?? null });",
      ],
    };
    for (const [file, lines] of Object.entries(files)) {
      fs.writeFileSync(path.join(convexDir, file), lines.join("\n"));
    }
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    await using backend = await serve({
      dir: folder.path,
      env: { JWKS: JSON.stringify({ keys: [jwk] }) },
    });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(backend.siteUrl)
      .setSubject("user1|session1")
      .setAudience("convex")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    const client = httpClient(backend.url);
    client.setAuth(token);
    expect(await step(client.query(fns.subject, {}), "the subject")).toBe("user1|session1");
  });

  it("names the variable auth.config.ts read unset when its provider is invalid, as Convex does", async () => {
    await using backend = await serve({ dir: TASKS_APP_DIR });
    const refused = await step(backend.engine.reload(), "loading without the variable");
    expect(refused.ok).toBe(false);
    expect(refused.problems).toContainEqual({
      file: "convex/auth.config.ts",
      reason: expect.stringContaining(
        "Environment variable CLERK_JWT_ISSUER_DOMAIN is used in auth config file but its value was not set.",
      ) as unknown,
    });
    const loaded = await step(
      backend.engine.setEnvironmentVariables([
        { name: "CLERK_JWT_ISSUER_DOMAIN", value: issuer.url },
      ]),
      "setting it",
    );
    expect(loaded.ok).toBe(true);
  });

  it("refuses invalid names and values, changing nothing", async () => {
    await using backend = await serve({ dir: ENV_APP_DIR, env: { KEPT: "yes" } });
    const engine = backend.engine;
    for (const name of ["1ABC", "HAS-DASH", "", "A".repeat(257)]) {
      await expect(engine.setEnvironmentVariables([{ name, value: "x" }])).rejects.toThrow(
        /Invalid environment variable name/,
      );
    }
    await expect(
      engine.setEnvironmentVariables([
        { name: "OK", value: "fine" },
        { name: "BIG", value: "x".repeat(8 * 1024 + 1) },
      ]),
    ).rejects.toThrow(/values cannot be larger than 8192 bytes/);
    expect([...engine.environmentVariables]).toEqual([["KEPT", "yes"]]);
  });
});

describe("convex-graphql env", () => {
  it("sets, gets, lists and removes variables in the data file; a running backend picks them up", async () => {
    await using folder = tempDir("convex-graphql-env-");
    const dataFile = path.join(folder.path, "data.sqlite3");
    const env = (...args: string[]): string => runEnvCommand([...args, "--data", dataFile]);
    await using backend = await serve({ dir: ENV_APP_DIR, dataFile, environmentPollMs: 10 });

    expect(env("list")).toBe("No environment variables set\n");
    expect(env("set", "SUPPLIER_URL", "http://b.test")).toBe(
      "Successfully set SUPPLIER_URL to http://b.test\n",
    );
    expect(env("set", "GREETING=hello world")).toBe('Successfully set GREETING to "hello world"\n');
    expect(env("get", "GREETING")).toBe("hello world\n");
    expect(env("list")).toBe('GREETING="hello world"\nSUPPLIER_URL=http://b.test\n');
    expect(() => env("set", "BAD-NAME", "x")).toThrow(/Invalid environment variable name/);
    expect(() => env("get", "MISSING")).toThrow('Environment variable "MISSING" not found');

    // The running backend noticed the other connection's write and reloaded.
    await atLoadBecomes(backend.url, "http://b.test", "the backend to reload with the variable");

    expect(env("remove", "SUPPLIER_URL")).toBe("Successfully unset SUPPLIER_URL\n");
    expect(env("list")).toBe('GREETING="hello world"\n');
    await atLoadBecomes(backend.url, null, "the backend to reload without it");
  });

  it("formats values as a .env file shows them", () => {
    expect(formatEnvValue("plain-value_1.2:3/@+,")).toBe("plain-value_1.2:3/@+,");
    expect(formatEnvValue("two words")).toBe('"two words"');
    expect(formatEnvValue('say "hi"')).toBe(`'say "hi"'`);
    expect(formatEnvValue('a\n"b"')).toBe('"a\\n\\"b\\""');
  });
});

/** Runs `node cli/bin.js ARGS` to completion; resolves with its exit code and output. */
async function cli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "cli", "bin.js"), ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await within(
    new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode))),
    30_000,
    `convex-graphql ${args.join(" ")}`,
  );
  return { code, stdout, stderr };
}

describe("the backend command with --env-file, and env from another process", () => {
  it("stores the file's variables at start, survives a restart, and reloads on `env set`", async () => {
    await using folder = tempDir("convex-graphql-env-file-");
    const dataFile = path.join(folder.path, "data.sqlite3");
    const envFile = path.join(folder.path, ".env");
    fs.writeFileSync(envFile, '# supplier\nSUPPLIER_URL="http://file.test"\nAPI_KEY=k-2\n');
    {
      await using child = await startChildBackend({
        dir: ENV_APP_DIR,
        dataFile,
        args: ["--env-file", envFile],
      });
      const client = httpClient(child.url);
      expect(await step(client.query(fns.atLoad, {}), "atLoad")).toBe("http://file.test");

      const set = await cli(["env", "set", "SUPPLIER_URL", "http://cli.test", "--data", dataFile]);
      expect(set).toMatchObject({
        code: 0,
        stdout: "Successfully set SUPPLIER_URL to http://cli.test\n",
      });
      await atLoadBecomes(child.url, "http://cli.test", "the backend process to reload", 10_000);
    }
    // Stored with the data: a backend started later, without the file, has them.
    await using again = await serve({ dir: ENV_APP_DIR, dataFile });
    const client = httpClient(again.url);
    expect(await step(client.query(fns.atLoad, {}), "atLoad")).toBe("http://cli.test");
    expect(await step(client.query(fns.read, { name: "API_KEY" }), "read")).toBe("k-2");
    const invalid = await cli(["env", "set", "9LIVES", "x", "--data", dataFile]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("Invalid environment variable name");
  });
});
