/**
 * An app built with `convex-helpers` the way its README shows (`test/fixtures/helpers_app`, no
 * `returns` validators): `customQuery`/`customMutation` adding the signed-in `user`, zod
 * arguments (`zCustomQuery`, `zid`), the relationship helpers (`getOneFrom`, `getManyFrom`,
 * `getManyVia`, `getAll`, `asyncMap`), `crud(schema, "notes")`, `Triggers` keeping a
 * denormalised message count, `stream`/`mergedStream`/`filterWith` paginated, and the validator
 * helpers (`Table`, `doc`, `partial`, `nullable`, `literals`); also `customCtxAndArgs`, `filter`,
 * `getPage`, row-level security and `corsRouter`. Served unmodified by the embedded
 * backend, called with the official clients and through the gateway (HTTP and graphql-ws), and
 * its derived schema checked type by type.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { GraphQLSchema } from "graphql";
import { isInputObjectType, isObjectType } from "graphql";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fieldsOf, startSignedInApp, type SignedInApp } from "./support/signed_in_app.ts";
import { REPO_ROOT } from "../utils/backend.ts";
import { httpClient, record as recordConvex, syncClient } from "../sync/support/clients.ts";
import { appSchemaOf, post, record, wsClient } from "../gateway/support/gateway.ts";

const HELPERS_APP = path.join(REPO_ROOT, "test", "fixtures", "helpers_app");

interface NoteDoc {
  _id: string;
  _creationTime: number;
  title: string;
  body: string;
  tags: string[];
  rating?: number;
}

const fns = {
  store: makeFunctionReference<"mutation", Record<string, never>, string>("users:store"),
  me: makeFunctionReference<"query", Record<string, never>, { name: string; bio: string | null }>(
    "users:me",
  ),
  setBio: makeFunctionReference<"mutation", { bio: string | null }, unknown>("users:setBio"),
  createChannel: makeFunctionReference<"mutation", { name: string }, string>("channels:create"),
  count: makeFunctionReference<"query", { channelId: string }, number>("channels:count"),
  send: makeFunctionReference<
    "mutation",
    { channelId: string; body: string; pinned?: boolean },
    string
  >("messages:send"),
  remove: makeFunctionReference<"mutation", { messageId: string }, null>("messages:remove"),
  search: makeFunctionReference<
    "query",
    { channelId: string; text: string; limit?: number },
    { body: string }[]
  >("messages:search"),
  createNote: makeFunctionReference<"mutation", Omit<NoteDoc, "_id" | "_creationTime">, NoteDoc>(
    "notes:create",
  ),
  readNote: makeFunctionReference<"query", { id: string }, NoteDoc | null>("notes:read"),
  updateNote: makeFunctionReference<
    "mutation",
    { id: string; patch: Partial<NoteDoc> },
    null | undefined
  >("notes:update"),
  destroyNote: makeFunctionReference<"mutation", { id: string }, NoteDoc | null>("notes:destroy"),
};

let app: SignedInApp;

beforeAll(async () => {
  app = await startSignedInApp(HELPERS_APP);
}, 120_000); // a cold inference on a clean machine

afterAll(() => app?.close());

const as: SignedInApp["as"] = (...args) => app.as(...args);

/** A root field's signature: `(arg: Type, ...): Result`. */
function signature(schema: GraphQLSchema, root: "Query" | "Mutation", name: string): string {
  const type = root === "Query" ? schema.getQueryType() : schema.getMutationType();
  const field = type?.getFields()[name];
  if (field === undefined) return "(none)";
  const args = field.args.map((arg) => `${arg.name}: ${arg.type.toString()}`).join(", ");
  return `(${args}): ${field.type.toString()}`;
}

/** Ada and Bob stored, and a channel of Ada's named `name` that Bob joined; their ids. */
async function channelOfTwo(name: string) {
  const { usersStore: ada } = await as("ada", `mutation { usersStore }`);
  const { usersStore: bob } = await as("bob", `mutation { usersStore }`);
  const { channelsCreate: channel } = await as(
    "ada",
    `mutation ($n: String!) { channelsCreate(name: $n) }`,
    { n: name },
  );
  await as("bob", `mutation ($c: ID!) { channelsJoin(channelId: $c) }`, { c: channel });
  return { ada: ada as string, bob: bob as string, channel: channel as string };
}

/** Sends `body` to `channel` as `who`; the message's id. */
async function send(who: string, channel: string, body: string, pinned?: boolean) {
  const sent = await as(
    who,
    `mutation ($c: ID!, $b: String!, $p: Boolean) { messagesSend(channelId: $c, body: $b, pinned: $p) }`,
    { c: channel, b: body, p: pinned },
  );
  return sent["messagesSend"] as string;
}

describe("the derived schema of a convex-helpers app", () => {
  it("type-checks: builders' functions stay api queries and mutations with inferred types", async () => {
    // convex/lib/type_checks.ts asserts FunctionArgs/FunctionReturnType of `api`'s references.
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const checked = await promisify(execFile)(process.execPath, [
      tsc,
      "--noEmit",
      "-p",
      path.join(HELPERS_APP, "convex"),
    ]).catch((error: Error & { stdout?: string }) => ({
      stdout: `${error.stdout ?? ""}${error.message}`,
    }));
    expect(checked.stdout).toBe("");
  }, 60_000);

  it("types custom functions' results from their handlers, ctx.user included", async () => {
    const schema = (await appSchemaOf(HELPERS_APP)).current();
    // customQuery(customCtx(... user ...)): the handler returns `ctx.user`, a users document.
    expect(signature(schema, "Query", "usersMe")).toBe("(): User!");
    expect(fieldsOf(schema, "User")).toEqual({
      _id: "ID!",
      _creationTime: "Float!",
      name: "String!",
      tokenIdentifier: "String!",
      bio: "String", // nullable(v.string())
    });
    expect(signature(schema, "Mutation", "usersSetBio")).toBe("(bio: String): UsersSetBioResult!");
    expect(signature(schema, "Mutation", "channelsCreate")).toBe("(name: String!): ID!");
    expect(signature(schema, "Mutation", "channelsJoin")).toBe("(channelId: ID!): Boolean!");
    // Trigger-wrapped mutations (customMutation + customCtx(triggers.wrapDB)).
    expect(signature(schema, "Mutation", "messagesSend")).toBe(
      "(channelId: ID!, body: String!, pinned: Boolean): ID!",
    );
  });

  it("types the relationship helpers' documents and literals() as an enum", async () => {
    const schema = (await appSchemaOf(HELPERS_APP)).current();
    expect(fieldsOf(schema, "ChannelsByNameResult")).toEqual({
      channel: "Channel!", // getOneFrom
      ownerName: "String",
      memberNames: "[String!]!", // getManyVia, pruneNull
    });
    expect(signature(schema, "Query", "channelsMine")).toBe("(): [ChannelsMineResult!]!");
    expect(fieldsOf(schema, "ChannelsMineResult")).toEqual({
      name: "String!",
      messageCount: "Float!",
      latest: "String",
    });
    expect(fieldsOf(schema, "MessagesListResult")).toMatchObject({
      kind: "MessageKind!", // literals("text", "system")
      pinned: "Boolean",
      authorName: "String!",
    });
  });

  it("types zod arguments, crud's functions and a merged stream's page", async () => {
    const schema = (await appSchemaOf(HELPERS_APP)).current();
    // zid("channels"), z.string(), z.number().default(10) (optional for callers).
    expect(signature(schema, "Query", "messagesSearch")).toBe(
      "(channelId: ID!, text: String!, limit: Float): [Message!]!",
    );
    expect(signature(schema, "Query", "notesRead")).toBe("(id: ID!): Note");
    expect(signature(schema, "Query", "notesPaginate")).toBe(
      "(first: Int!, after: String): NoteConnection!",
    );
    expect(signature(schema, "Mutation", "notesCreate")).toBe(
      "(title: String!, body: String!, tags: [String!]!, rating: Float, _id: ID, _creationTime: Float): Note!",
    );
    expect(signature(schema, "Mutation", "notesDestroy")).toBe("(id: ID!): Note");
    expect(signature(schema, "Mutation", "notesUpdate")).toBe(
      "(id: ID!, patch: NotesUpdatePatchInput!): Void",
    );
    expect(fieldsOf(schema, "NotesUpdatePatchInput")).toMatchObject({
      title: "String",
      tags: "[String!]",
    });
    // stream(...).mergedStream(...).filterWith(...).paginate(opts): a connection of messages.
    expect(signature(schema, "Query", "messagesFeed")).toBe(
      "(a: ID!, b: ID!, pinnedOnly: Boolean, first: Int!, after: String): MessageConnection!",
    );
    // doc(schema, "notes") as an argument; partial({...}) as an argument.
    expect(fieldsOf(schema, "NotesDuplicateNoteInput")).toMatchObject({
      _id: "ID!",
      title: "String!",
    });
    expect(fieldsOf(schema, "MessagesEditFieldsInput")).toEqual({
      body: "String",
      pinned: "Boolean",
    });
  });
});

describe("where the derived schema stays JSON", () => {
  it("nowhere: results TypeScript types as null or void are Void", async () => {
    const schema = (await appSchemaOf(HELPERS_APP)).current();
    const json: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__") || !(isObjectType(type) || isInputObjectType(type))) continue;
      for (const [name, field] of Object.entries(fieldsOf(schema, type.name))) {
        if (field.includes("JSON")) json.push(`${type.name}.${name}`);
      }
    }
    expect(json).toEqual([]);
    // messages:remove returns `null`, crud's update `Promise<void>` (Convex's null).
    const mutations = fieldsOf(schema, "Mutation");
    expect([mutations["messagesRemove"], mutations["notesUpdate"]]).toEqual(["Void", "Void"]);
  });
});

describe("custom functions, relationships and triggers over GraphQL", () => {
  it("adds the signed-in user to ctx, and refuses the signed-out with the app's ConvexError", async () => {
    await channelOfTwo("intro");
    expect(await as("ada", `{ usersMe { name bio } }`)).toEqual({
      usersMe: { name: "Ada", bio: null },
    });
    expect(await as("bob", `mutation { usersSetBio(bio: "builder") { name bio } }`)).toEqual({
      usersSetBio: { name: "Bob", bio: "builder" },
    });
    const refused = await post(app.gateway.url, { query: `{ usersMe { name } }` });
    expect(refused.json().errors?.[0]?.extensions).toMatchObject({
      data: { code: "UNAUTHENTICATED" },
    });
  });

  it("keeps the channel's message count with a trigger, through inserts and deletes", async () => {
    const { channel } = await channelOfTwo("counted");
    const first = await send("ada", channel, "one");
    await send("bob", channel, "two");
    await send("bob", channel, "three");
    const count = async () =>
      (await as("ada", `query ($c: ID!) { channelsCount(channelId: $c) }`, { c: channel }))[
        "channelsCount"
      ];
    expect(await count()).toBe(3);
    await as("ada", `mutation ($m: ID!) { messagesRemove(messageId: $m) }`, { m: first });
    expect(await count()).toBe(2);
  });

  it("joins with getOneFrom, getManyVia, getManyFrom, getAll and asyncMap", async () => {
    const { channel } = await channelOfTwo("joined");
    await send("ada", channel, "hello");
    await send("bob", channel, "hi Ada");
    expect(
      await as(
        "bob",
        `{ channelsByName(name: "joined") { channel { name messageCount } ownerName memberNames } }`,
      ),
    ).toEqual({
      channelsByName: {
        channel: { name: "joined", messageCount: 2 },
        ownerName: "Ada",
        memberNames: ["Ada", "Bob"],
      },
    });
    const listed = await as(
      "ada",
      `query ($c: ID!) { messagesList(channelId: $c) { body kind authorName pinned } }`,
      { c: channel },
    );
    expect(listed["messagesList"]).toEqual([
      { body: "hello", kind: "text", authorName: "Ada", pinned: null },
      { body: "hi Ada", kind: "text", authorName: "Bob", pinned: null },
    ]);
    const mine = (await as("bob", `{ channelsMine { name messageCount latest } }`))["channelsMine"];
    expect(mine).toContainEqual({ name: "joined", messageCount: 2, latest: "hi Ada" });
    expect(await as("ada", `{ channelsByName(name: "nowhere") { ownerName } }`)).toEqual({
      channelsByName: null,
    });
  });

  it("merges two channels' streams newest first, filters and paginates them", async () => {
    const one = await channelOfTwo("stream-one");
    const two = await channelOfTwo("stream-two");
    await send("ada", one.channel, "a1");
    await send("bob", two.channel, "b1", true);
    await send("ada", one.channel, "a2", true);
    await send("bob", two.channel, "b2");
    const page = async (first: number, after: string | null, pinnedOnly?: boolean) =>
      (
        await as(
          "ada",
          `query ($a: ID!, $b: ID!, $first: Int!, $after: String, $p: Boolean) {
            messagesFeed(a: $a, b: $b, first: $first, after: $after, pinnedOnly: $p) {
              edges { node { body } } pageInfo { hasNextPage endCursor } } }`,
          { a: one.channel, b: two.channel, first, after, p: pinnedOnly },
        )
      )["messagesFeed"] as {
        edges: { node: { body: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    const first = await page(3, null);
    expect(first.edges.map((edge) => edge.node.body)).toEqual(["b2", "a2", "b1"]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await page(3, first.pageInfo.endCursor);
    expect(rest.edges.map((edge) => edge.node.body)).toEqual(["a1"]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const pinned = await page(5, null, true);
    expect(pinned.edges.map((edge) => edge.node.body)).toEqual(["a2", "b1"]);
  });

  it("parses zod arguments: trims, applies defaults, refuses what zod refuses", async () => {
    const { channel } = await channelOfTwo("zod");
    for (const body of ["apple pie", "apple tart", "banana"]) await send("ada", channel, body);
    const found = await as(
      "ada",
      `query ($c: ID!, $t: String!, $l: Float) { messagesSearch(channelId: $c, text: $t, limit: $l) { body kind } }`,
      { c: channel, t: "  apple ", l: 1 },
    );
    expect(found).toEqual({ messagesSearch: [{ body: "apple pie", kind: "text" }] });
    const defaulted = await as(
      "ada",
      `query ($c: ID!) { messagesSearch(channelId: $c, text: "apple") { body } }`,
      { c: channel },
    );
    expect(defaulted["messagesSearch"]).toHaveLength(2);
    const tooShort = await post(app.gateway.url, {
      query: `query ($c: ID!) { messagesSearch(channelId: $c, text: " a ") { body } }`,
      variables: { c: channel },
    });
    expect(tooShort.json().errors?.[0]?.extensions?.["data"]).toMatchObject({
      ZodError: [{ code: "too_small", path: ["text"] }],
    });
  });

  it('serves crud(schema, "notes") and a doc(schema, "notes") argument', async () => {
    const created = await as(
      "ada",
      `mutation { notesCreate(title: "Plan", body: "draft", tags: ["a"], rating: 2) { _id title tags rating } }`,
    );
    const note = created["notesCreate"] as { _id: string };
    expect(created["notesCreate"]).toMatchObject({ title: "Plan", tags: ["a"], rating: 2 });
    await as(
      "ada",
      `mutation ($id: ID!) { notesUpdate(id: $id, patch: { body: "final", tags: [] }) }`,
      {
        id: note._id,
      },
    );
    const read = await as(
      "ada",
      `query ($id: ID!) { notesRead(id: $id) { _id _creationTime title body tags rating } }`,
      {
        id: note._id,
      },
    );
    expect(read["notesRead"]).toMatchObject({ title: "Plan", body: "final", tags: [] });
    const copied = await as(
      "ada",
      `mutation ($note: NotesDuplicateNoteInput!) { notesDuplicate(note: $note) }`,
      { note: read["notesRead"] },
    );
    const page = await as("ada", `{ notesPaginate(first: 10) { edges { node { title } } } }`);
    expect(JSON.stringify(page)).toContain('"title":"Plan (copy)"');
    const destroyed = await as("ada", `mutation ($id: ID!) { notesDestroy(id: $id) { title } }`, {
      id: copied["notesDuplicate"],
    });
    expect(destroyed).toEqual({ notesDestroy: { title: "Plan (copy)" } });
    expect(
      await as("ada", `query ($id: ID!) { notesRead(id: $id) { title } }`, {
        id: copied["notesDuplicate"],
      }),
    ).toEqual({ notesRead: null });
  });
});

describe("more helpers: custom args, filter, getPage, row-level security, concurrency", () => {
  it("passes a customization's own argument to ctx, and filters with a predicate", async () => {
    await as(
      "ada",
      `mutation { notesCreate(title: "tagged", body: "", tags: ["qa13-tag"]) { _id } }`,
    );
    expect(
      await as("ada", `{ extrasWhoami(sessionId: "s-1", tag: "qa13-tag") { session tagged } }`),
    ).toEqual({ extrasWhoami: { session: "s-1", tagged: 1 } });
  });

  it("hides the rows a read rule refuses", async () => {
    await as(
      "ada",
      `mutation { notesCreate(title: "rude", body: "", tags: [], rating: 1) { _id } }`,
    );
    await as(
      "ada",
      `mutation { notesCreate(title: "kind", body: "", tags: [], rating: 3) { _id } }`,
    );
    const visible = (await as("ada", `{ extrasVisibleNotes }`))["extrasVisibleNotes"];
    expect(visible).toContain("kind");
    expect(visible).not.toContain("rude");
  });

  it("reads a page of an index range with getPage", async () => {
    const { channel } = await channelOfTwo("paged");
    for (const body of ["p1", "p2", "p3"]) await send("ada", channel, body);
    expect(
      await as(
        "ada",
        `query ($c: ID!) { extrasMessagePage(channelId: $c, max: 2) { bodies hasMore keys } }`,
        {
          c: channel,
        },
      ),
    ).toEqual({ extrasMessagePage: { bodies: ["p3", "p2"], hasMore: true, keys: 2 } });
  });

  it("leaves writes to tables without triggers alone (normalizeId tells tables apart)", async () => {
    const { notesCreate } = await as(
      "ada",
      `mutation { notesCreate(title: "old", body: "", tags: []) { _id } }`,
    );
    expect(
      await as("ada", `mutation ($id: ID!) { notesRename(id: $id, title: "new") }`, {
        id: (notesCreate as { _id: string })._id,
      }),
    ).toEqual({ notesRename: "new" });
  });

  it("refuses an id of another table for a zid argument", async () => {
    const { channel } = await channelOfTwo("zid");
    const message = await send("ada", channel, "x");
    const refused = await post(app.gateway.url, {
      query: `query ($c: ID!) { messagesSearch(channelId: $c, text: "xx") { body } }`,
      variables: { c: message },
    });
    expect(refused.json().errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("counts parallel inserts of one mutation, and moves through replace (an update)", async () => {
    const from = await channelOfTwo("many-from");
    const to = await channelOfTwo("many-to");
    const { messagesSendMany } = await as(
      "ada",
      `mutation ($c: ID!) { messagesSendMany(channelId: $c, bodies: ["1", "2", "3", "4", "5"]) }`,
      { c: from.channel },
    );
    expect(messagesSendMany).toBe(5);
    const counts = async () =>
      await as(
        "ada",
        `query ($f: ID!, $t: ID!) { f: channelsCount(channelId: $f) t: channelsCount(channelId: $t) }`,
        {
          f: from.channel,
          t: to.channel,
        },
      );
    expect(await counts()).toEqual({ f: 5, t: 0 });
    const listed = await as("ada", `query ($c: ID!) { messagesList(channelId: $c) { _id } }`, {
      c: from.channel,
    });
    const [moved] = listed["messagesList"] as { _id: string }[];
    await as("ada", `mutation ($m: ID!, $c: ID!) { messagesMove(messageId: $m, channelId: $c) }`, {
      m: moved?._id,
      c: to.channel,
    });
    expect(await counts()).toEqual({ f: 4, t: 1 });
  });

  it("serves an HTTP route of convex-helpers' corsRouter, preflight included", async () => {
    const { channel } = await channelOfTwo("cors");
    await send("ada", channel, "x");
    const origin = { origin: "https://app.example.com" };
    const got = await fetch(`${app.backend.siteUrl}/count?channel=${channel}`, { headers: origin });
    expect(got.status).toBe(200);
    expect(got.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(await got.json()).toEqual({ count: 1 });
    const preflight = await fetch(`${app.backend.siteUrl}/count`, {
      method: "OPTIONS",
      headers: {
        ...origin,
        "access-control-request-method": "GET",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("GET");
  });

  it("counts every one of concurrent sends through the trigger", async () => {
    const { channel } = await channelOfTwo("busy");
    const senders = Array.from({ length: 12 }, (_, index) =>
      send(index % 2 === 0 ? "ada" : "bob", channel, `m${index}`),
    );
    await Promise.all(senders);
    const counted = await as(
      "ada",
      `query ($c: ID!) { channelsCount(channelId: $c) messagesList(channelId: $c) { body } }`,
      {
        c: channel,
      },
    );
    expect(counted["messagesList"]).toHaveLength(12);
    expect(counted["channelsCount"]).toBe(12);
  });
});

describe("the official clients", () => {
  it("call custom, zod and crud functions with ConvexHttpClient", async () => {
    const client = httpClient(app.backend.url);
    client.setAuth(app.tokens["ada"] ?? "");
    await client.mutation(fns.store, {});
    expect(await client.query(fns.me, {})).toMatchObject({ name: "Ada" });
    const channel = await client.mutation(fns.createChannel, { name: "http" });
    await client.mutation(fns.send, { channelId: channel, body: "over http" });
    expect(await client.query(fns.count, { channelId: channel })).toBe(1);
    expect(await client.query(fns.search, { channelId: channel, text: "http" })).toMatchObject([
      { body: "over http" },
    ]);
    const zodRefused = await client
      .query(fns.search, { channelId: channel, text: "h" })
      .catch((error: unknown) => error);
    expect(zodRefused).toBeInstanceOf(ConvexError);

    const note = await client.mutation(fns.createNote, { title: "T", body: "B", tags: [] });
    expect(note).toMatchObject({
      title: "T",
      body: "B",
      tags: [],
      _id: expect.any(String) as string,
    });
    expect(await client.mutation(fns.updateNote, { id: note._id, patch: { title: "T2" } })).toBe(
      null,
    );
    expect(await client.query(fns.readNote, { id: note._id })).toMatchObject({ title: "T2" });
    expect(await client.mutation(fns.destroyNote, { id: note._id })).toMatchObject({ title: "T2" });
    expect(await client.query(fns.readNote, { id: note._id })).toBe(null);

    const anonymous = httpClient(app.backend.url);
    const refused = await anonymous.query(fns.me, {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConvexError);
    expect((refused as ConvexError<{ code: string }>).data.code).toBe("UNAUTHENTICATED");
  });

  it("update ConvexClient's subscription to a trigger-kept count", async () => {
    await using client = syncClient(app.backend.url);
    client.setAuth(() => Promise.resolve(app.tokens["bob"] ?? null));
    await client.mutation(fns.store, {});
    const channel = await client.mutation(fns.createChannel, { name: "synced" });
    using counts = recordConvex(client, fns.count, { channelId: channel });
    await counts.value((count) => count === 0, "the empty count");
    const message = await client.mutation(fns.send, { channelId: channel, body: "x" });
    await counts.value((count) => count === 1, "the count after a send");
    await client.mutation(fns.remove, { messageId: message });
    await counts.value((count) => count === 0, "the count after a delete");
    // The custom ctx's user lookup is a read like any other: the subscription follows it.
    using me = recordConvex(client, fns.me, {});
    await me.value((user) => user.name === "Bob", "Bob as ctx.user");
    await client.mutation(fns.setBio, { bio: "live" });
    await me.value((user) => user.bio === "live", "Bob's new bio");
  });
});

describe("live over graphql-ws", () => {
  it("pushes a new count when a trigger changes it", async () => {
    const { channel } = await channelOfTwo("live");
    await using socket = wsClient(app.gateway.url, {
      connectionParams: { authorization: `Bearer ${app.tokens["bob"]}` },
    });
    using counts = record(socket, {
      query: `subscription ($c: ID!) { channelsCount(channelId: $c) }`,
      variables: { c: channel },
    });
    expect((await counts.next("the first count")).data).toEqual({ channelsCount: 0 });
    await send("ada", channel, "ping");
    expect((await counts.next("the count after a send")).data).toEqual({ channelsCount: 1 });
    using mine = record(socket, { query: `subscription { channelsMine { name messageCount } }` });
    await mine.value(
      (result) => JSON.stringify(result.data).includes('{"name":"live","messageCount":1}'),
      "Bob's channels",
    );
    await send("bob", channel, "pong");
    await mine.value(
      (result) => JSON.stringify(result.data).includes('{"name":"live","messageCount":2}'),
      "Bob's channels after his send",
    );
  });

  it("keeps a live merged-stream page pinned: it grows, and the next page misses nothing", async () => {
    const one = await channelOfTwo("pinned-one");
    const two = await channelOfTwo("pinned-two");
    await send("ada", one.channel, "a1");
    await send("bob", two.channel, "b1");
    await send("ada", one.channel, "a2");
    const feed = `($a: ID!, $b: ID!, $after: String) { messagesFeed(a: $a, b: $b, first: 2, after: $after) {
      edges { node { body } } pageInfo { hasNextPage endCursor } } }`;
    const variables = { a: one.channel, b: two.channel };
    type Page = { edges: { node: { body: string } }[]; pageInfo: { endCursor: string } };
    const bodies = (page: unknown) => (page as Page).edges.map((edge) => edge.node.body);
    await using socket = wsClient(app.gateway.url, {
      connectionParams: { authorization: `Bearer ${app.tokens["bob"]}` },
    });
    using live = record(socket, { query: `subscription ${feed}`, variables });
    const first = (await live.next("the first page")).data?.["messagesFeed"];
    expect(bodies(first)).toEqual(["a2", "b1"]);
    const second = await as("bob", `query ${feed}`, {
      ...variables,
      after: (first as Page).pageInfo.endCursor,
    });
    expect(bodies(second["messagesFeed"])).toEqual(["a1"]);
    // convex-helpers' stream pages have no query journal: unpinned, this page would slide to
    // [b2, a2] and b1 would be on no page at all.
    await send("bob", two.channel, "b2");
    const grown = (await live.next("the grown page")).data?.["messagesFeed"];
    expect(bodies(grown)).toEqual(["b2", "a2", "b1"]);
    expect((grown as Page).pageInfo.endCursor).toBe((first as Page).pageInfo.endCursor);
  });
});
