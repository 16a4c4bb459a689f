/**
 * A component's HTTP routes under its `httpPrefix` get no user identity, as no component function
 * does (Convex gives components no `ctx.auth`), while the app's own route sees the token's
 * subject. The app signs its own token (`ctx.auth.signJwt`) and trusts it through a `customJwt`
 * provider reading the deployment's JWKS.
 */
import fs from "node:fs";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REPO_ROOT, tempDir, type TestBackend } from "../utils/backend.ts";
import { httpClient, serve } from "../sync/support/clients.ts";

const COMPONENTS_APP = path.join(REPO_ROOT, "test", "fixtures", "components_app", "convex");

/** `/whoami`, answering the caller's identity: the app's routes and the component's alike. */
const WHOAMI_ROUTES = `import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server.js";
const http = httpRouter();
http.route({
  path: "/whoami",
  method: "GET",
  handler: httpAction(async (ctx) => Response.json(await ctx.auth.getUserIdentity())),
});
export default http;
`;

const FILES: Record<string, string> = {
  "convex.config.ts": `import { defineApp } from "convex/server";
import counter from "./counter/convex.config.js";
const app = defineApp();
app.use(counter, { httpPrefix: "/counter" });
export default app;
`,
  "auth.config.ts": `const cloud = process.env.CONVEX_CLOUD_URL!;
export default {
  providers: [
    { type: "customJwt", issuer: cloud, jwks: cloud + "/.well-known/jwks.json", algorithm: "ES256", applicationID: "component-http" },
  ],
};
`,
  "tokens.ts": `import { mutation } from "./_generated/server.js";
export const mint = mutation({
  args: {},
  handler: async (ctx) =>
    ctx.auth.signJwt({ claims: { sub: "alice", aud: "component-http" }, expiresInSeconds: 60 }),
});
`,
  "http.ts": WHOAMI_ROUTES,
  "counter/http.ts": WHOAMI_ROUTES,
};

let folder: { path: string } & AsyncDisposable;
let backend: TestBackend;

beforeAll(async () => {
  folder = tempDir("convex-graphql-component-http-");
  const convex = path.join(folder.path, "convex");
  fs.mkdirSync(convex);
  fs.cpSync(path.join(COMPONENTS_APP, "_generated"), path.join(convex, "_generated"), {
    recursive: true,
  });
  fs.cpSync(path.join(COMPONENTS_APP, "counter"), path.join(convex, "counter"), {
    recursive: true,
  });
  for (const [file, text] of Object.entries(FILES)) fs.writeFileSync(path.join(convex, file), text);
  backend = await serve({ dir: folder.path });
}, 60_000);

afterAll(async () => {
  await backend?.[Symbol.asyncDispose]();
  await folder?.[Symbol.asyncDispose]();
});

async function whoami(prefix: string, token: string): Promise<unknown> {
  const response = await fetch(`${backend.siteUrl}${prefix}/whoami`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return response.json();
}

it("gives a component's HTTP action no user identity, as every other component function", async () => {
  const token = await httpClient(backend.url).mutation(
    makeFunctionReference<"mutation", Record<string, never>, string>("tokens:mint"),
    {},
  );
  // Control: the app's own route sees alice.
  expect(await whoami("", token)).toMatchObject({ subject: "alice" });
  // The counter component's route, mounted at /counter/, must not.
  expect(await whoami("/counter", token)).toBeNull();
});
