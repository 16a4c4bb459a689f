/**
 * A curated contract served (test/fixtures/contract_app/schema.graphql): renamed root fields,
 * a hidden field (a user's email) and hidden functions, a `v.any()` result narrowed to an object
 * type by hand, and relations added by hand, among them a reverse one (a person's `messages`
 * through `messages:byUser`, passing the person's `_id`), over HTTP and graphql-ws, with a live
 * update through the reverse relation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  derivedAppSchema,
  startGateway,
  type AppSchema,
  type Gateway,
} from "../../gateway/index.ts";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import { STEP_MS, within } from "../utils/waits.ts";
import { data, post, record, wsClient } from "./support/gateway.ts";
import { CONTRACT_APP_DIR, CONTRACT_FILE, describeContractApp } from "./support/contract_app.ts";

let backend: TestBackend;
let schema: AppSchema;
let gateway: Gateway;
let ada: string;

beforeAll(async () => {
  backend = await startTestBackend({ dir: CONTRACT_APP_DIR });
  schema = await derivedAppSchema(describeContractApp, { contractFile: CONTRACT_FILE });
  gateway = await within(
    startGateway({ convexUrl: backend.url, schema: () => schema.current(), port: 0, dev: true }),
    STEP_MS,
    "the gateway to start",
  );
  const joined = await data(gateway.url, `mutation { join(name: "Ada", email: "ada@x.io") }`);
  ada = joined["join"] as string;
});

afterAll(async () => {
  await gateway.close();
  schema.close();
  await backend.close();
});

const say = (body: string) =>
  data(gateway.url, `mutation ($u: ID!, $b: String!) { say(user: $u, body: $b) }`, {
    u: ada,
    b: body,
  });

describe("a curated contract", () => {
  it("serves renamed fields bound by @convex, and only the fields it lists", async () => {
    await say("hello");
    const result = await data(gateway.url, `query ($id: ID!) { person(id: $id) { _id name } }`, {
      id: ada,
    });
    expect(result).toEqual({ person: { _id: ada, name: "Ada" } });
    const hidden = await post(gateway.url, { query: `{ people { email } }` });
    expect(hidden.json().errors?.[0]?.message).toBe('Cannot query field "email" on type "Person".');
    const derivedName = await post(gateway.url, { query: `{ usersList { _id } }` });
    expect(derivedName.json().errors?.[0]?.message).toContain('Cannot query field "usersList"');
    const removed = await post(gateway.url, {
      query: `mutation { messagesRemove(id: "x") }`,
    });
    expect(removed.json().errors?.[0]?.message).toContain('Cannot query field "messagesRemove"');
  });

  it("types a v.any() result by hand", async () => {
    const result = await data(
      gateway.url,
      `query ($id: ID!) { profile(id: $id) { name messageCount } }`,
      {
        id: ada,
      },
    );
    // The first test said "hello": one message so far.
    expect(result["profile"]).toEqual({ name: "Ada", messageCount: 1 });
  });

  it("resolves a reverse relation (with its own argument) and a relation back", async () => {
    await say("second");
    const result = await data(
      gateway.url,
      `query ($id: ID!) { person(id: $id) { messages(limit: 2) { body author { name } } } }`,
      { id: ada },
    );
    const messages = (result["person"] as { messages: unknown[] }).messages;
    expect(messages).toHaveLength(2);
    expect(messages[0]).toEqual({ body: "second", author: { name: "Ada" } });
  });

  it("keeps a subscription live through the reverse relation over graphql-ws", async () => {
    await using client = wsClient(gateway.url);
    using watch = record(client, {
      query: `subscription ($id: ID!) { person(id: $id) { name messages { body } } }`,
      variables: { id: ada },
    });
    const first = await watch.next("the current result");
    const before = (first.data?.["person"] as { messages: { body: string }[] }).messages;
    await say("live one");
    const second = await watch.next("the result after a new message");
    const after = (second.data?.["person"] as { messages: { body: string }[] }).messages;
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toEqual({ body: "live one" });
  });

  it("answers a query over graphql-ws too", async () => {
    await using client = wsClient(gateway.url);
    using once = record(client, { query: `{ people { name messages(limit: 1) { body } } }` });
    const result = await once.next("the answer");
    expect(result.errors).toBeUndefined();
    expect(result.data?.["people"]).toEqual([
      { name: "Ada", messages: [{ body: "live one" }] }, // the newest, from the test before
    ]);
  });
});
