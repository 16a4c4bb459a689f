/**
 * An action through the gateway: the actions fixture app's actions are GraphQL mutations; one
 * runs a Convex mutation and query and returns what it read, one calls a `"use node"` action
 * that reaches an external service (a stub on loopback), a `ConvexError` thrown by an action
 * becomes a GraphQL error with its code and data, and a failure nested in an action reads as its
 * own message.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startTestBackend, type TestBackend } from "../utils/backend.ts";
import { startSupplierStub, stubPrice, type SupplierStub } from "../utils/supplier_stub.ts";
import { post, startTestGateway, type TestGateway } from "./support/gateway.ts";
import { STEP_MS, within } from "../utils/waits.ts";

const ACTIONS_APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "actions_app");

let backend: TestBackend;
let gateway: TestGateway;
let supplier: SupplierStub;

beforeAll(async () => {
  supplier = await within(startSupplierStub(), STEP_MS, "the supplier stub to start");
  backend = await within(
    startTestBackend({ dir: ACTIONS_APP_DIR }),
    20_000,
    "the backend to start",
  );
  gateway = await startTestGateway(backend.url, { dir: ACTIONS_APP_DIR });
});

afterAll(async () => {
  await gateway[Symbol.asyncDispose]();
  await backend[Symbol.asyncDispose]();
  await supplier[Symbol.asyncDispose]();
});

describe("actions as GraphQL mutations", () => {
  it("runs an action that writes through a mutation and reads its own write", async () => {
    const answer = await post(gateway.url, {
      query: `mutation Add($body: String!) { actionsAddAndList(body: $body) { before bodies } }`,
      variables: { body: "from graphql" },
    });
    expect(answer.status).toBe(200);
    const result = answer.json();
    expect(result.errors).toBeUndefined();
    const value = result.data?.["actionsAddAndList"] as { before: number; bodies: string[] };
    expect(value.before).toBe(0);
    expect(value.bodies).toEqual(["from graphql"]);
  });

  it('runs a "use node" action that calls an external service', async () => {
    const answer = await post(gateway.url, {
      query: `mutation { supplierRequestQuote(url: "${supplier.url}", item: "sage") { price } }`,
    });
    const result = answer.json();
    expect(result.errors).toBeUndefined();
    expect((result.data?.["supplierRequestQuote"] as { price: number }).price).toBe(
      stubPrice("sage"),
    );
  });

  it("turns an action's ConvexError into a GraphQL error with its code and data", async () => {
    const answer = await post(gateway.url, {
      query: `mutation { actionsRefuse(code: "OUT_OF_STOCK") }`,
    });
    const result = answer.json();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.extensions?.code).toBe("OUT_OF_STOCK");
    expect(result.errors?.[0]?.extensions?.data).toMatchObject({
      code: "OUT_OF_STOCK",
      nested: { ok: false },
    });
  });

  it("shows a failure nested in an action by its own message, without Convex's framing", async () => {
    // Convex words it `Uncaught Error: Uncaught Error: the supplier is down\n    at ...`.
    const answer = await post(gateway.url, { query: `mutation { actionsRelayCrash }` });
    const result = answer.json();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.message).toBe("actions:relayCrash failed: the supplier is down");
  });
});
