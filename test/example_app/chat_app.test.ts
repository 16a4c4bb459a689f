/**
 * A chat written the way Convex's docs and tutorials write one (`test/fixtures/chat_app`: no
 * `returns` validators, args validators only where the docs have them): the tutorial's
 * `messages:list`, messages joined with their authors (`{ ...m, author }`, `authorName`), a
 * paginated query joined page by page, `ctx.auth` with a `users` table looked up by
 * `tokenIdentifier`, storage URLs, a `"use node"` action returning `{ ok, ... }`, a union table,
 * counts per channel, a tuple summary, an HTTP route and a cron. Its derived schema is checked
 * type by type, then queried over HTTP and graphql-ws against the embedded backend, with a live
 * subscription whose joined author renames herself.
 */
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { isUnionType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fieldsOf, startSignedInApp, type SignedInApp } from "./support/signed_in_app.ts";
import { describeApp } from "../../describe/index.ts";
import { contractSchema, deriveSchema, printContract } from "../../gateway/index.ts";
import { REPO_ROOT } from "../utils/backend.ts";
import {
  appSchemaOf,
  data,
  post,
  record,
  startTestGateway,
  wsClient,
} from "../gateway/support/gateway.ts";
import { STEP_MS, within } from "../utils/waits.ts";

const CHAT_APP = path.join(REPO_ROOT, "test", "fixtures", "chat_app");

let app: SignedInApp;

beforeAll(async () => {
  app = await startSignedInApp(CHAT_APP);
}, 120_000); // a cold inference on a clean machine

afterAll(() => app?.close());

const as: SignedInApp["as"] = (...args) => app.as(...args);

function rootField(schema: GraphQLSchema, name: string): string {
  return schema.getQueryType()?.getFields()[name]?.type.toString() ?? "(none)";
}

/** The fields of a `messages` document, as every enriched message has them. */
const MESSAGE_FIELDS = {
  _id: "ID!",
  _creationTime: "Float!",
  body: "String!",
  authorId: "ID!",
  channelId: "ID!",
  format: "MessageFormat!",
  imageId: "ID",
  authorIdDoc: "User",
  channelIdDoc: "Channel",
};

/** Ada and Bob stored as users, a channel, and a message of each; their ids. */
async function chatWithTwo(channel: string) {
  const { usersStore: ada } = await as("ada", `mutation { usersStore }`);
  const { usersStore: bob } = await as("bob", `mutation { usersStore }`);
  const { channelsCreate: channelId } = await as(
    "ada",
    `mutation ($n: String!) { channelsCreate(name: $n) }`,
    { n: channel },
  );
  for (const [who, body] of [
    ["ada", "hello"],
    ["bob", "hi Ada"],
  ] as const) {
    await as(who, `mutation ($c: ID!, $b: String!) { messagesSend(channelId: $c, body: $b) }`, {
      c: channelId,
      b: body,
    });
  }
  return { ada: ada as string, bob: bob as string, channel: channelId as string };
}

describe("the chat's derived schema", () => {
  it("types enriched messages: the table's fields and relations plus the joined fields", async () => {
    const schema = (await appSchemaOf(CHAT_APP)).current();
    expect(rootField(schema, "messagesList")).toBe("[Message!]!");
    expect(fieldsOf(schema, "Message")).toEqual(MESSAGE_FIELDS);
    // `{ ...m, author: await ctx.db.get(m.authorId) }`
    expect(rootField(schema, "messagesListWithAuthors")).toBe("[MessagesListWithAuthorsResult!]!");
    expect(fieldsOf(schema, "MessagesListWithAuthorsResult")).toEqual({
      author: "User",
      ...MESSAGE_FIELDS,
    });
    // `{ ...m, authorName: user?.name ?? "Anonymous", url: await ctx.storage.getUrl(...) }`
    expect(fieldsOf(schema, "MessagesFeedResult")).toEqual({
      authorName: "String!",
      url: "String",
      ...MESSAGE_FIELDS,
    });
    // In the order of the table's fields, then the joined ones (TypeScript lists those first).
    expect(Object.keys(fieldsOf(schema, "MessagesFeedResult"))).toEqual([
      ...Object.keys(MESSAGE_FIELDS).filter((name) => !name.endsWith("Doc")),
      "authorName",
      "url",
      "authorIdDoc",
      "channelIdDoc",
    ]);
    // `ctx.auth.getUserIdentity()` then the `by_token` index: null when signed out.
    expect(rootField(schema, "usersCurrent")).toBe("User");
    expect(rootField(schema, "messagesMine")).toBe("[Message!]");
    expect(fieldsOf(schema, "UsersWhoamiResult")).toMatchObject({
      tokenIdentifier: "String!",
      subject: "String!",
      name: "String",
    });
  });

  it("makes the paginated, enriched list a Relay connection of a typed node", async () => {
    const schema = (await appSchemaOf(CHAT_APP)).current();
    const field = schema.getQueryType()?.getFields()["messagesPage"];
    expect(field?.args.map((arg) => `${arg.name}: ${arg.type.toString()}`)).toEqual([
      "channelId: ID!",
      "first: Int!",
      "after: String",
    ]);
    expect(field?.type.toString()).toBe("MessagesPageConnection!");
    expect(fieldsOf(schema, "MessagesPageConnection")).toEqual({
      edges: "[MessagesPageEdge!]!",
      pageInfo: "PageInfo!",
    });
    expect(fieldsOf(schema, "MessagesPageEdge")).toEqual({
      cursor: "String",
      node: "MessagesPageNode!",
    });
    expect(fieldsOf(schema, "MessagesPageNode")).toEqual({
      author: "User",
      authorName: "String!",
      ...MESSAGE_FIELDS,
    });
  });

  it("types unions: a union table, the action's result, and documents of two tables", async () => {
    const schema = (await appSchemaOf(CHAT_APP)).current();
    const members = (name: string) => {
      const type = schema.getType(name);
      return isUnionType(type) ? type.getTypes().map((member) => member.name) : null;
    };
    expect(rootField(schema, "channelsEvents")).toBe("[Event!]!");
    expect(members("Event")).toEqual(["EventJoined", "EventRenamed"]);
    expect(fieldsOf(schema, "EventJoined")).toMatchObject({ userIdDoc: "User" });
    const botPost = schema.getMutationType()?.getFields()["botPost"];
    expect(botPost?.type.toString()).toBe("BotPostResult!");
    expect(members("BotPostResult")).toEqual(["BotPostResultTrue", "BotPostResultFalse"]);
    // `[...channels, ...users]`: each document its table's type, told apart by its fields.
    expect(rootField(schema, "channelsFind")).toBe("[ChannelsFindResult!]!");
    expect(members("ChannelsFindResult")).toEqual(["Channel", "User"]);
    // A list of ids that is always there: always a list of (nullable) documents.
    expect(fieldsOf(schema, "ChannelsMemberIdsResult")).toEqual({
      channelId: "ID!",
      userIds: "[ID!]!",
      channelIdDoc: "Channel",
      userIdsDocs: "[User]!",
    });
    expect(fieldsOf(schema, "ChannelsOverviewResult")).toEqual({
      memberCount: "Float!",
      members: "[User]!",
      latest: "Message",
      _id: "ID!",
      _creationTime: "Float!",
      name: "String!",
    });
  });

  it("falls back to JSON only for the record and the tuple of two kinds, and says so", async () => {
    const app = await describeApp(CHAT_APP);
    const derived = deriveSchema(app);
    const where = [...app.fallbacks, ...derived.fallbacks].map(
      (fallback) => `${fallback.path} ${fallback.where}`,
    );
    expect(where.sort()).toEqual([
      "channels:counts returns",
      "channels:summary returns.busiest[]",
      "channels:summary returns.pairs[][]",
    ]);
    expect(fieldsOf(derived.schema, "ChannelsSummaryResult")).toMatchObject({
      total: "Float!",
      generatedAt: "Float!",
    });
  }, 120_000);
});

describe("the chat over GraphQL", () => {
  it("reads the tutorial's list, messages with their authors, and the signed-in user", async () => {
    const { channel, ada, bob } = await chatWithTwo("general");
    const listed = await as(null, `{ messagesList { body authorIdDoc { name } } }`);
    expect(listed["messagesList"]).toEqual(
      expect.arrayContaining([
        { body: "hello", authorIdDoc: { name: "Ada" } },
        { body: "hi Ada", authorIdDoc: { name: "Bob" } },
      ]),
    );
    const joined = await as(
      null,
      `query ($c: ID!) {
        messagesListWithAuthors(channelId: $c) { body format author { _id name } channelIdDoc { name } }
        messagesFeed(channelId: $c) { body authorName url }
      }`,
      { c: channel },
    );
    expect(joined).toEqual({
      messagesListWithAuthors: [
        {
          body: "hello",
          format: "text",
          author: { _id: ada, name: "Ada" },
          channelIdDoc: { name: "general" },
        },
        {
          body: "hi Ada",
          format: "text",
          author: { _id: bob, name: "Bob" },
          channelIdDoc: { name: "general" },
        },
      ],
      messagesFeed: [
        { body: "hi Ada", authorName: "Bob", url: null },
        { body: "hello", authorName: "Ada", url: null },
      ],
    });
    const signedIn = `{ usersCurrent { name } messagesMine { body } usersWhoami { name subject } }`;
    expect(await as("ada", signedIn)).toEqual({
      usersCurrent: { name: "Ada" },
      messagesMine: expect.arrayContaining([{ body: "hello" }]) as unknown,
      usersWhoami: { name: "Ada", subject: "ada" },
    });
    expect(await as(null, signedIn)).toEqual({
      usersCurrent: null,
      messagesMine: null,
      usersWhoami: null,
    });
  });

  it("pages the enriched list as a connection, after its end cursor", async () => {
    const { channel } = await chatWithTwo("paged");
    const PAGE = `query ($c: ID!, $after: String) {
      messagesPage(channelId: $c, first: 1, after: $after) {
        edges { cursor node { body authorName author { name } authorIdDoc { name } } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const first = (await as(null, PAGE, { c: channel }))["messagesPage"] as {
      edges: { cursor: string | null; node: unknown }[];
      pageInfo: { hasNextPage: boolean; endCursor: string };
    };
    expect(first.edges.map((edge) => edge.node)).toEqual([
      { body: "hi Ada", authorName: "Bob", author: { name: "Bob" }, authorIdDoc: { name: "Bob" } },
    ]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges[0]?.cursor).toBe(first.pageInfo.endCursor);
    const second = await as(null, PAGE, { c: channel, after: first.pageInfo.endCursor });
    expect(second).toMatchObject({
      messagesPage: {
        edges: [{ node: { body: "hello", authorName: "Ada", author: { name: "Ada" } } }],
      },
    });
  });

  it("resolves the unions: events, the Node action's result, and documents of two tables", async () => {
    const { channel, bob } = await chatWithTwo("unions");
    await as(null, `mutation ($c: ID!, $u: ID!) { channelsJoin(channelId: $c, userId: $u) }`, {
      c: channel,
      u: bob,
    });
    await as(null, `mutation ($c: ID!) { channelsRename(channelId: $c, name: "unions-2") }`, {
      c: channel,
    });
    const events = await as(
      null,
      `query ($c: ID!) { channelsEvents(channelId: $c) { __typename
        ... on EventJoined { kind userIdDoc { name } }
        ... on EventRenamed { kind from to channelIdDoc { name } } } }`,
      { c: channel },
    );
    expect(events["channelsEvents"]).toEqual([
      { __typename: "EventJoined", kind: "joined", userIdDoc: { name: "Bob" } },
      {
        __typename: "EventRenamed",
        kind: "renamed",
        from: "unions",
        to: "unions-2",
        channelIdDoc: { name: "unions-2" },
      },
    ]);
    const members = await as(
      null,
      `query ($c: ID!) { channelsMemberIds(channelId: $c) { userIdsDocs { name } } }`,
      { c: channel },
    );
    expect(members).toEqual({ channelsMemberIds: { userIdsDocs: [{ name: "Bob" }] } });
    const BOT = `mutation ($c: ID!, $b: String!) { botPost(channelId: $c, body: $b) { __typename
      ... on BotPostResultTrue { ok id } ... on BotPostResultFalse { ok error } } }`;
    expect(await as(null, BOT, { c: channel, b: " " })).toEqual({
      botPost: { __typename: "BotPostResultFalse", ok: false, error: "empty message" },
    });
    const posted = await as(null, BOT, { c: channel, b: "beep" });
    expect(posted).toEqual({
      botPost: { __typename: "BotPostResultTrue", ok: true, id: expect.any(String) as string },
    });
    const found = await as(
      null,
      `{ channelsFind(prefix: "unions") { __typename ... on Channel { name }
         ... on User { name tokenIdentifier } }
         bots: channelsFind(prefix: "Bo") { __typename ... on User { name } } }`,
    );
    expect(found).toEqual({
      channelsFind: [{ __typename: "Channel", name: "unions-2" }],
      bots: expect.arrayContaining([
        { __typename: "User", name: "Bob" },
        { __typename: "User", name: "Bot" },
      ]) as unknown,
    });
  });

  it("serves counts per channel as JSON, a summary, an overview, a stored image's URL and the HTTP route", async () => {
    const { channel } = await chatWithTwo("media");
    const { messagesGenerateUploadUrl: uploadUrl } = await as(
      "ada",
      `mutation { messagesGenerateUploadUrl }`,
    );
    const uploaded = await within(
      fetch(uploadUrl as string, {
        method: "POST",
        headers: { "content-type": "image/png" },
        body: "not really a png",
      }),
      STEP_MS,
      "the upload",
    );
    const { storageId } = (await uploaded.json()) as { storageId: string };
    await as(
      "ada",
      `mutation ($s: ID!, $c: ID!) { messagesSendImage(storageId: $s, channelId: $c) }`,
      {
        s: storageId,
        c: channel,
      },
    );
    const read = await as(
      null,
      `query ($c: ID!) {
        messagesFeed(channelId: $c) { format url authorName }
        channelsCounts
        channelsSummary { total busiest pairs }
        channelsOverview { name memberCount latest { format authorIdDoc { name } } }
      }`,
      { c: channel },
    );
    const feed = read["messagesFeed"] as { format: string; url: string | null }[];
    expect(feed[0]).toMatchObject({ format: "image", authorName: "Ada" });
    const image = await within(fetch(feed[0]?.url ?? ""), STEP_MS, "the image");
    expect(await image.text()).toBe("not really a png");
    expect(read["channelsCounts"]).toMatchObject({ media: 3 });
    const summary = read["channelsSummary"] as { total: number; pairs: unknown[] };
    expect(summary.pairs).toContainEqual(["media", 3]);
    expect(read["channelsOverview"]).toContainEqual({
      name: "media",
      memberCount: 0,
      latest: { format: "image", authorIdDoc: { name: "Ada" } },
    });
    const served = await within(
      fetch(`${app.backend.siteUrl}/messages?channel=${channel}`),
      STEP_MS,
      "GET /messages",
    );
    expect(((await served.json()) as { authorName: string }[]).map((m) => m.authorName)).toEqual([
      "Ada",
      "Bob",
      "Ada",
    ]);
  });

  it("pushes a joined author's new name to a live subscription and a live page", async () => {
    const { channel } = await chatWithTwo("live");
    await using socket = wsClient(app.gateway.url);
    using joined = record(socket, {
      query: `subscription ($c: ID!) { messagesListWithAuthors(channelId: $c) {
        body author { name } authorIdDoc { name } } }`,
      variables: { c: channel },
    });
    using page = record(socket, {
      query: `subscription ($c: ID!) { messagesPage(channelId: $c, first: 5) {
        edges { node { body authorName } } } }`,
      variables: { c: channel },
    });
    expect((await joined.next("the joined list")).data).toEqual({
      messagesListWithAuthors: [
        { body: "hello", author: { name: "Ada" }, authorIdDoc: { name: "Ada" } },
        { body: "hi Ada", author: { name: "Bob" }, authorIdDoc: { name: "Bob" } },
      ],
    });
    await page.next("the first page");
    await as("bob", `mutation { usersRename(name: "Robert") }`);
    const renamed = await joined.value(
      (result) => JSON.stringify(result.data).includes('"author":{"name":"Robert"}'),
      "Bob's new name in the joined list",
    );
    expect(renamed.data).toEqual({
      messagesListWithAuthors: [
        { body: "hello", author: { name: "Ada" }, authorIdDoc: { name: "Ada" } },
        { body: "hi Ada", author: { name: "Robert" }, authorIdDoc: { name: "Robert" } },
      ],
    });
    const paged = await page.value(
      (result) => JSON.stringify(result.data).includes("Robert"),
      "Bob's new name in the live page",
    );
    expect(paged.data).toEqual({
      messagesPage: {
        edges: [
          { node: { body: "hi Ada", authorName: "Robert" } },
          { node: { body: "hello", authorName: "Ada" } },
        ],
      },
    });
  });

  it("keeps the signed-in user and her messages live (`@live`), and null signed out", async () => {
    const { channel } = await chatWithTwo("mine");
    await using signedIn = wsClient(app.gateway.url, {
      connectionParams: { authorization: `Bearer ${app.tokens["ada"] ?? ""}` },
    });
    await using signedOut = wsClient(app.gateway.url);
    const MINE = { query: `query @live { usersCurrent { name } messagesMine { body } }` };
    using mine = record(signedIn, MINE);
    using nobody = record(signedOut, MINE);
    expect((await nobody.next("the signed-out result")).data).toEqual({
      usersCurrent: null,
      messagesMine: null,
    });
    const before = await mine.next("Ada's messages");
    expect(before.data?.["usersCurrent"]).toEqual({ name: "Ada" });
    const count = (before.data?.["messagesMine"] as unknown[]).length;
    await as("ada", `mutation ($c: ID!) { messagesSend(channelId: $c, body: "one more") }`, {
      c: channel,
    });
    const after = await mine.value(
      (result) => (result.data?.["messagesMine"] as unknown[]).length === count + 1,
      "Ada's new message",
    );
    expect((after.data?.["messagesMine"] as unknown[]).at(-1)).toEqual({ body: "one more" });
  });

  it("resolves the union of two tables' documents through its printed contract too", async () => {
    await as("ada", `mutation { usersStore }`);
    const described = await describeApp(CHAT_APP);
    const printed = printContract(deriveSchema(described).schema);
    const contract = contractSchema(printed, "schema.graphql", described);
    await using served = await startTestGateway(app.backend.url, {
      dir: CHAT_APP,
      schema: () => contract,
    });
    const found = await data(
      served.url,
      `{ channelsFind(prefix: "Ad") { __typename ... on User { name } ... on Channel { _id } } }`,
    );
    expect(found).toEqual({ channelsFind: [{ __typename: "User", name: "Ada" }] });
  }, 120_000);

  it("refuses a query selecting a union without a fragment, naming the member types", async () => {
    const answer = await post(app.gateway.url, { query: `{ channelsFind(prefix: "x") { name } }` });
    expect(answer.json().errors?.[0]?.message).toContain('"ChannelsFindResult"');
  });
});
