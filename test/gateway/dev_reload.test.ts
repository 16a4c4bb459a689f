/**
 * `dev` behaviour: the engine and the gateway watch the app's `convex/` folder. When a function
 * is added, the engine loads it, the GraphQL schema gains its field, and subscriptions that were
 * open keep delivering. When a function's code changes, its subscribers and the gateway's warm
 * queries get the new code's result (the engine reruns every live query after a reload).
 */
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { appSchemaOfDir } from "../../cli/app_description.ts";
import { REPO_ROOT, startTestBackend, tempDir } from "../utils/backend.ts";
import { dishes, PLACE_ORDER, WATCH_TABLE } from "./support/example_app.ts";
import { data, post, record, startTestGateway, wsClient } from "./support/gateway.ts";
import { eventually } from "../utils/waits.ts";

it("reloads changed functions, re-derives the schema, and keeps subscriptions working", async () => {
  await using app = tempDir("convex-graphql-dev-");
  fs.cpSync(path.join(REPO_ROOT, "convex"), path.join(app.path, "convex"), { recursive: true });
  await using backend = await startTestBackend({ dir: app.path, watch: true });
  const schema = await appSchemaOfDir(app.path, { watch: true, log: () => {} });
  await using _schema = { [Symbol.asyncDispose]: () => Promise.resolve(schema.close()) };
  await using gateway = await startTestGateway(backend.url, { schema: () => schema.current() });
  await using client = wsClient(gateway.url);
  using watch = record(client, { query: WATCH_TABLE, variables: { table: 80 } });
  expect((await watch.next("the first result")).data).toEqual({ ordersGetOrdersByTable: [] });

  // A new module with a new query.
  fs.writeFileSync(
    path.join(app.path, "convex", "hours.ts"),
    [
      'import { v } from "convex/values";',
      'import { query } from "./_generated/server.js";',
      "",
      "export const openingHours = query({",
      "  args: {},",
      "  returns: v.string(),",
      '  handler: async () => "12:00-22:00",',
      "});",
      "",
    ].join("\n"),
  );
  await eventually(
    () => backend.engine.registry.lookup("hours:openingHours") !== undefined,
    "the engine to load the new function",
    10_000,
  );
  // The re-derivation runs TypeScript's checker over the changed app (seconds of CPU, more on a
  // busy machine): the previous schema serves until it is done.
  await eventually(
    () => schema.current().getQueryType()?.getFields()["hoursOpeningHours"] !== undefined,
    "the GraphQL schema to gain its field",
    60_000,
  );
  const answer = await post(gateway.url, { query: "{ hoursOpeningHours }" });
  expect(answer.json()).toEqual({ data: { hoursOpeningHours: "12:00-22:00" } });
  using hours = record(client, { query: "subscription { hoursOpeningHours }" });
  expect(await hours.next("the opening hours")).toEqual({
    data: { hoursOpeningHours: "12:00-22:00" },
  });
  await eventually(
    () => gateway.upstream.canRead(null),
    "the gateway to answer queries from its upstream client",
  );
  const warm = await post(gateway.url, { query: "{ hoursOpeningHours }" });
  expect(warm.json()).toEqual({ data: { hoursOpeningHours: "12:00-22:00" } });

  // The same function, new code: the subscription and the (warm) query follow.
  const hoursModule = path.join(app.path, "convex", "hours.ts");
  fs.writeFileSync(
    hoursModule,
    fs.readFileSync(hoursModule, "utf8").replace("12:00-22:00", "11:00-23:00"),
  );
  expect(await hours.next("the opening hours from the new code")).toEqual({
    data: { hoursOpeningHours: "11:00-23:00" },
  });
  const executions = backend.engine.liveQueries.stats.executions;
  const fresh = await post(gateway.url, { query: "{ hoursOpeningHours }" });
  expect(fresh.json()).toEqual({ data: { hoursOpeningHours: "11:00-23:00" } });
  // Answered from the pushed result: no execution of its own.
  expect(backend.engine.liveQueries.stats.executions).toBe(executions);

  // The subscription opened before the change still follows the data.
  await data(gateway.url, PLACE_ORDER, { dish: "after reload", table: 80 });
  const next = await watch.next("the change after the reload");
  expect(dishes(next.data?.["ordersGetOrdersByTable"])).toEqual(["after reload"]);
  expect(watch.error).toBeUndefined();
}, 120_000);

it("derives the schema with the deployment's variables, which module top levels may need", async () => {
  await using app = tempDir("convex-graphql-dev-env-");
  fs.mkdirSync(path.join(app.path, "convex"));
  fs.writeFileSync(
    path.join(app.path, "convex", "supplier.ts"),
    [
      'import { queryGeneric } from "convex/server";',
      'const url = process.env["SUPPLIER_URL"];',
      'if (url === undefined) throw new Error("SUPPLIER_URL is not set");',
      "export const endpoint = queryGeneric(() => url);",
      "",
    ].join("\n"),
  );
  let env: Record<string, string> = {};
  const schema = await appSchemaOfDir(app.path, { env: () => env, log: () => {} });
  await using _schema = { [Symbol.asyncDispose]: () => Promise.resolve(schema.close()) };
  // Without the variable the module does not load: no field.
  expect(schema.current().getQueryType()?.getFields()["supplierEndpoint"]).toBeUndefined();
  env = { SUPPLIER_URL: "http://supplier.test" };
  expect(await schema.refresh()).toBe(true);
  expect(schema.current().getQueryType()?.getFields()["supplierEndpoint"]).toBeDefined();
});
