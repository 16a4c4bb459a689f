/**
 * Convex's own CLI against the embedded backend (self-hosted variables: the backend's URL and
 * admin key): `npx convex function-spec` gets the `_system/cli/*` queries it asks for and prints
 * the spec a gateway can then be derived from, with no `convex/` folder; `npx convex env
 * set|list|get|remove` manage the deployment's stored variables.
 */
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import type { GraphQLSchema } from "graphql";
import { expect, it } from "vitest";
import { describeApp } from "../../describe/index.ts";
import { deriveSchema, descriptionFromSpec } from "../../gateway/index.ts";
import { REPO_ROOT, startTestBackend, tempDir } from "../utils/backend.ts";
import { appFolder, convexCli, type CliRun } from "./support/convex_cli.ts";

/** Each root field as `Type.field(arg, ...)`, sorted. */
function rootFields(schema: GraphQLSchema): string[] {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  return roots
    .flatMap((root) =>
      Object.values(root?.getFields() ?? {}).map((field) => {
        const args = field.args.map((arg) => arg.name).sort();
        return `${root?.name}.${field.name}(${args.join(", ")})`;
      }),
    )
    .sort();
}

it("answers `npx convex function-spec` as a deployment does", async () => {
  await using backend = await startTestBackend();
  await using cwd = tempDir();
  const run = await convexCli(["function-spec"], backend, cwd.path);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  const spec = JSON.parse(run.stdout) as { url: string; functions: Record<string, unknown>[] };
  expect(spec.url).toBe(backend.url);
  expect(spec.functions).toContainEqual({
    identifier: "counters.js:get",
    functionType: "Query",
    visibility: { kind: "public" },
    args: { type: "object", value: { name: { fieldType: { type: "string" }, optional: false } } },
    returns: { type: "number" },
  });
  expect(spec.functions).toContainEqual({
    functionType: "HttpAction",
    method: "POST",
    path: "/supplier/webhook",
  });
  const internal = spec.functions.filter((fn) => fn["visibility"] !== undefined);
  expect(internal.some((fn) => (fn["visibility"] as { kind: string }).kind === "internal")).toBe(
    true,
  );
  expect(spec.functions.some((fn) => String(fn["identifier"]).startsWith("_system"))).toBe(false);

  // The gateway derives from it the root fields the folder gives, with the same arguments.
  // (A deployment knows neither schema.ts's tables nor inferred results: those types differ.)
  const fromCli = deriveSchema(descriptionFromSpec(spec, "function_spec.json")).schema;
  const declaredOnly = await describeApp(REPO_ROOT, { inferReturns: false });
  expect(rootFields(fromCli)).toEqual(rootFields(deriveSchema(declaredOnly).schema));
}, 180_000);

it("keeps the CLI's system queries from anyone without the admin key", async () => {
  await using backend = await startTestBackend();
  const client = new ConvexHttpClient(backend.url);
  const apiSpec = anyApi["_system/cli/modules"]!["apiSpec"]!;
  await expect(client.query(apiSpec, {})).rejects.toThrow(
    "Could not find public function for '_system/cli/modules:apiSpec'",
  );
  await using cwd = tempDir();
  const refusal = "The provided deploy key was invalid for this deployment";
  const wrongKey = { url: backend.url, adminKey: `${backend.adminKey}x` };
  const refused = await convexCli(["function-spec"], wrongKey, cwd.path, refusal);
  expect(refused.stderr).toContain(refusal);
  expect(refused.stdout).toBe("");
}, 180_000);

it("manages the deployment's variables with `npx convex env`", async () => {
  await using backend = await startTestBackend();
  await using cwd = appFolder();
  const env = (...args: string[]): Promise<CliRun> =>
    convexCli(["env", ...args], backend, cwd.path);
  expect((await env("set", "SUPPLIER_URL", "https://supplier.test")).code).toBe(0);
  expect((await env("set", "GREETING", "hello there")).code).toBe(0);
  expect((await env("list")).stdout).toBe(
    "GREETING=hello there\nSUPPLIER_URL=https://supplier.test\n",
  );
  expect((await env("get", "GREETING")).stdout).toBe("hello there\n");
  expect(backend.engine.environmentVariables.get("SUPPLIER_URL")).toBe("https://supplier.test");
  expect((await env("remove", "SUPPLIER_URL")).code).toBe(0);
  expect((await env("list")).stdout).toBe("GREETING=hello there\n");
  const missing = await env("get", "SUPPLIER_URL");
  // (The CLI reports it and exits 0, whatever the deployment.)
  expect(missing.stderr).toContain('Environment variable "SUPPLIER_URL" not found');
  const bad = await env("set", "1BAD", "x");
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain("Invalid environment variable name");

  // Without the admin key, the deployment API refuses the change.
  const anonymous = await fetch(`${backend.url}/api/update_environment_variables`, {
    method: "POST",
    body: JSON.stringify({ changes: [{ name: "GREETING" }] }),
  });
  expect(anonymous.status).toBe(401);
  expect(backend.engine.environmentVariables.get("GREETING")).toBe("hello there");
}, 180_000);
