/**
 * The edge types fixture app (test/fixtures/edge_types_app) served over HTTP: a union whose
 * members differ only in their discriminant (`{ kind: "pending" } | { kind: "queued" } | ...`,
 * declared in schema.ts and inferred from a handler) resolves each value to its own member type,
 * a union told apart by a boolean (`ok: true | false`) resolves by it, a document joined with
 * more fields keeps its relations, a literal GraphQL reserves (`"true"`) goes through as a
 * String argument, and arguments GraphQL cannot name go as one `args: JSON` object.
 */
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startTestBackend, type TestBackend } from "../utils/backend.ts";
import { data, post, startTestGateway, type TestGateway } from "./support/gateway.ts";

const EDGE_TYPES_APP_DIR = path.join(REPO_ROOT, "test/fixtures/edge_types_app");

type JobState = { kind: "pending" } | { kind: "queued" } | { kind: "failed"; error: string };
const api = {
  addJob: makeFunctionReference<"mutation", { name: string; state: JobState }, string>("jobs:add"),
  addMovie: makeFunctionReference<"mutation", { title: string; rating: "g" | "pg-13" }, string>(
    "movies:add",
  ),
  send: makeFunctionReference<"mutation", { body: string; movie: string }, string>("messages:send"),
};

let backend: TestBackend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startTestBackend({ dir: EDGE_TYPES_APP_DIR });
  gateway = await startTestGateway(backend.url, { dir: EDGE_TYPES_APP_DIR, queryCacheMs: 0 });
  const client = new ConvexHttpClient(backend.url, { logger: false });
  await client.mutation(api.addJob, { name: "a", state: { kind: "pending" } });
  await client.mutation(api.addJob, { name: "bb", state: { kind: "queued" } });
  await client.mutation(api.addJob, { name: "ccc", state: { kind: "failed", error: "boom" } });
  const movie = await client.mutation(api.addMovie, { title: "Heat", rating: "pg-13" });
  await client.mutation(api.send, { body: "seen it", movie });
}, 120_000);

afterAll(async () => {
  await gateway.close();
  await backend.close();
});

const STATE_FRAGMENTS = `
  __typename
  ... on JobStatePending { kind }
  ... on JobStateQueued { kind }
  ... on JobStateFailed { kind error }`;

const EXPECTED_STATES = [
  { __typename: "JobStatePending", kind: "pending" },
  { __typename: "JobStateQueued", kind: "queued" },
  { __typename: "JobStateFailed", kind: "failed", error: "boom" },
];

describe("unions", () => {
  it("resolves members with the same fields to their own types (declared in schema.ts)", async () => {
    const result = await data(gateway.url, `{ jobsList { name state { ${STATE_FRAGMENTS} } } }`);
    expect(result["jobsList"]).toEqual(
      EXPECTED_STATES.map((state, index) => ({ name: ["a", "bb", "ccc"][index], state })),
    );
  });

  it("resolves them alike when the union is inferred from the handler", async () => {
    const result = await data(gateway.url, `{ jobsStates { ${STATE_FRAGMENTS} } }`);
    expect(result["jobsStates"]).toEqual(EXPECTED_STATES);
  });

  it("resolves a union told apart by a boolean, its discriminant a Boolean", async () => {
    const result = await data(
      gateway.url,
      `{ jobsOutcomes {
          __typename
          ... on JobsOutcomesResultTrue { ok value }
          ... on JobsOutcomesResultFalse { ok error }
        } }`,
    );
    expect(result["jobsOutcomes"]).toEqual([
      { __typename: "JobsOutcomesResultTrue", ok: true, value: 1 },
      { __typename: "JobsOutcomesResultTrue", ok: true, value: 2 },
      { __typename: "JobsOutcomesResultFalse", ok: false, error: "boom" },
    ]);
  });
});

it("keeps a joined document's relations and its own id, with no relation back to itself", async () => {
  const result = await data(
    gateway.url,
    `{ messagesWithLikes { _id body likes movieDoc { title rating } } }`,
  );
  const [message] = result["messagesWithLikes"] as { _id: string }[];
  expect(message).toEqual({
    _id: expect.any(String) as string,
    body: "seen it",
    likes: 7,
    movieDoc: { title: "Heat", rating: "pg-13" },
  });
});

it("passes a reserved literal as a String argument, and Convex still validates it", async () => {
  const ok = await data(gateway.url, `mutation { literalsSetFlag(flag: "true") }`);
  expect(ok["literalsSetFlag"]).toBe(true);
  const refused = await post(gateway.url, {
    query: `mutation { literalsSetFlag(flag: "maybe") }`,
  });
  const body = refused.json();
  expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  expect(body.errors?.[0]?.message).toContain(
    'Validator: v.union(v.literal("true"), v.literal("false"))',
  );
});

it("passes arguments GraphQL cannot name as the one `args: JSON` object", async () => {
  const nameless = `mutation ($args: JSON) { literalsNameless(args: $args) }`;
  const passed = await data(gateway.url, nameless, { args: { "x-key": "through" } });
  expect(passed["literalsNameless"]).toBe("through");
  const refused = (await post(gateway.url, { query: nameless, variables: { args: {} } })).json();
  expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
});
