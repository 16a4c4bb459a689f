/**
 * The example app's chat as the README's "Try it" walks through it: Ada signs in as the admin key
 * acting as her identity (the header the official clients' `setAdminAuth` send, written by hand
 * with `curl` in the README), is stored by `users:store` and sends a message; GraphQL then reads
 * the feed with each message's author (`userDoc`, a relation), her messages (`messagesByUser`, a
 * one-to-many connection), and a live feed pushes her new name when she renames herself.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestBackend, type TestBackend } from "../utils/backend.ts";
import {
  data,
  record,
  startTestGateway,
  wsClient,
  type TestGateway,
} from "../gateway/support/gateway.ts";
import { within, STEP_MS } from "../utils/waits.ts";

let backend: TestBackend;
let gateway: TestGateway;

beforeAll(async () => {
  backend = await startTestBackend();
  gateway = await startTestGateway(backend.url);
});

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
});

/** `POST /api/mutation` as `name`, with the README's `Authorization: Convex <key>:<identity>`. */
async function mutateAs(
  name: string,
  path: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  const identity = { subject: "ada", issuer: "https://example.com", name };
  const acting = Buffer.from(JSON.stringify(identity)).toString("base64");
  const response = await within(
    fetch(`${backend.url}/api/mutation`, {
      method: "POST",
      headers: {
        authorization: `Convex ${backend.engine.adminKey}:${acting}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ path, args }),
    }),
    STEP_MS,
    `${path} as ${name}`,
  );
  const answer = (await response.json()) as { status: string; value: unknown };
  expect(answer.status).toBe("success");
  return answer.value;
}

const FEED = `{ messagesFeed(first: 20) { edges { node { body userDoc { name } } } pageInfo { hasNextPage } } }`;

it("reads the chat's messages with their authors, and her messages by page", async () => {
  const ada = await mutateAs("Ada", "users:store", {});
  await mutateAs("Ada", "messages:send", { body: "hello" });
  await mutateAs("Ada", "messages:send", { body: "again" });
  expect(await data(gateway.url, FEED)).toEqual({
    messagesFeed: {
      edges: [
        { node: { body: "again", userDoc: { name: "Ada" } } },
        { node: { body: "hello", userDoc: { name: "Ada" } } },
      ],
      pageInfo: { hasNextPage: false },
    },
  });
  const byUser = await data(
    gateway.url,
    `query ($user: ID!) { messagesByUser(user: $user, first: 1) { edges { node { body } } pageInfo { hasNextPage } } }`,
    { user: ada },
  );
  expect(byUser).toEqual({
    messagesByUser: { edges: [{ node: { body: "again" } }], pageInfo: { hasNextPage: true } },
  });
});

it("pushes the author's new name to a live feed", async () => {
  await mutateAs("Ada", "users:store", {});
  await mutateAs("Ada", "messages:send", { body: "live" });
  await using socket = wsClient(gateway.url);
  using feed = record(socket, { query: `subscription ${FEED}` });
  const names = (value: { data?: unknown }) =>
    (
      value.data as { messagesFeed: { edges: { node: { userDoc: { name: string } } }[] } }
    ).messagesFeed.edges.map((edge) => edge.node.userDoc.name);
  expect(names(await feed.next("the feed"))).toContain("Ada");
  await mutateAs("Ada Lovelace", "users:store", {});
  const renamed = await feed.value(
    (value) => names(value).every((name) => name === "Ada Lovelace"),
    "the feed with her new name",
  );
  expect(names(renamed).length).toBeGreaterThan(0);
});
