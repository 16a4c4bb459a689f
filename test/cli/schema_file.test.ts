// The committed schema.graphql is exactly what `convex-graphql schema` derives from the example app.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { Kind, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { describeApp } from "../../describe/index.ts";
import { deriveSchema, printContract } from "../../gateway/index.ts";
import { REPO_ROOT } from "../utils/backend.ts";

describe("schema.graphql", () => {
  it("is up to date with the example app's functions (regenerate: node cli/bin.js schema > schema.graphql)", async () => {
    const { schema } = deriveSchema(await describeApp(REPO_ROOT));
    const committed = fs.readFileSync(path.join(REPO_ROOT, "schema.graphql"), "utf8");
    expect(committed).toBe(printContract(schema));
  });

  it("binds every root field with @convex and every relation field with @convexRelation", () => {
    const committed = fs.readFileSync(path.join(REPO_ROOT, "schema.graphql"), "utf8");
    expect(committed).toContain(
      "directive @convex(query: String, mutation: String, action: String)",
    );
    expect(committed).toContain(
      'ordersGetOrderById(id: ID!): Order @convex(query: "orders:getOrderById")',
    );
    expect(committed).toContain(
      'ordersPlaceOrder(dish: String!, table: Float!, notes: String): ID! @convex(mutation: "orders:placeOrder")',
    );
    expect(committed).toContain('@convex(action: "kitchen:');
    expect(committed).toContain(
      'userDoc: User @convexRelation(query: "users:get", id: "user", arg: "id")',
    );
    // Every root field of the three root types carries exactly one @convex.
    let rootFields = 0;
    for (const definition of parse(committed).definitions) {
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
      if (!["Query", "Mutation", "Subscription"].includes(definition.name.value)) continue;
      for (const field of definition.fields ?? []) {
        rootFields++;
        const names = (field.directives ?? []).map((directive) => directive.name.value);
        expect(names, `${definition.name.value}.${field.name.value}`).toEqual(["convex"]);
      }
    }
    expect(rootFields).toBeGreaterThan(30);
  });

  it("exposes public functions only, each described by its Convex path", async () => {
    const { schema, bindings } = deriveSchema(
      await describeApp(REPO_ROOT, { inferReturns: false }),
    );
    const mutationFields = Object.keys(schema.getMutationType()?.getFields() ?? {});
    expect(mutationFields).toContain("ordersPlaceOrder");
    expect(mutationFields).not.toContain("countersReset"); // internal mutation
    expect(schema.getQueryType()?.getFields()["ordersGetActiveOrders"]?.description).toContain(
      "`orders:getActiveOrders`",
    );
    expect(bindings.query.get("ordersGetOrdersByTable")?.fn.path).toBe("orders:getOrdersByTable");
    const order = schema.getType("Order");
    expect(order?.toString()).toBe("Order");
  });
});

describe("convex-graphql schema", () => {
  it("prints each JSON fallback and each relation ambiguity, with why, on stderr", async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["cli/bin.js", "schema", "--dir", "test/fixtures/typed_app"],
      { cwd: REPO_ROOT, timeout: 120_000 },
    );
    expect(stdout).toContain("type Post {");
    expect(stderr.split("\n")).toEqual(
      expect.arrayContaining([
        "convex-graphql schema: misc:parsed returns: JSON (TypeScript infers `any` here)",
        "convex-graphql schema: misc:tree returns.children[]: JSON (a recursive type)",
        "convex-graphql schema: relations to authors: several fetch-by-id queries (authors:byId, authors:get); using authors:byId",
      ]),
    );
  }, 120_000);
});
