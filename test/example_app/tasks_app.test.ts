/**
 * A real app, end to end: `test/fixtures/tasks_app`, a team task tracker written as Convex users
 * write apps (no `returns` validators, helpers in `convex/lib`, Clerk's `auth.config.ts`, a
 * `"use node"` action reading a secret at load, the scheduler, HTTP actions, file storage), served
 * unmodified by the embedded backend, through the GraphQL gateway (HTTP, graphql-ws, SSE) and the
 * official `convex` clients. Identities are tokens of a local OIDC issuer (Clerk's shape).
 */
import crypto from "node:crypto";
import path from "node:path";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, startTestBackend, type TestBackend } from "../utils/backend.ts";
import { startTestIssuer, type TestIssuer } from "../utils/jwt_issuer.ts";
import { httpClient, record as recordConvex, syncClient } from "../sync/support/clients.ts";
import {
  data,
  post,
  record,
  startTestGateway,
  wsClient,
  type TestGateway,
} from "../gateway/support/gateway.ts";
import { eventually, STEP_MS, within } from "../utils/waits.ts";

const TASKS_APP = path.join(REPO_ROOT, "test", "fixtures", "tasks_app");
const WEBHOOK_SECRET = "tasks-app-secret";

const fns = {
  search: makeFunctionReference<
    "query",
    { teamId: string; text: string },
    { title: string; status: string }[]
  >("tasks:search"),
  updateStatus: makeFunctionReference<"mutation", { taskId: string; status: string }, unknown>(
    "tasks:updateStatus",
  ),
};

let issuer: TestIssuer;
let backend: TestBackend;
let gateway: TestGateway;
const auth: Record<string, Record<string, string>> = {};
const tokens: Record<string, string> = {};

beforeAll(async () => {
  issuer = await startTestIssuer();
  backend = await startTestBackend({
    dir: TASKS_APP,
    env: { CLERK_JWT_ISSUER_DOMAIN: issuer.url, WEBHOOK_SECRET },
  });
  gateway = await startTestGateway(backend.url, { dir: TASKS_APP });
  for (const [subject, name] of [
    ["ada", "Ada"],
    ["bob", "Bob"],
  ]) {
    const token = await issuer.token(
      subject as string,
      { name, email: `${subject}@example.com` },
      { audience: "convex" },
    );
    tokens[subject as string] = token;
    auth[subject as string] = { authorization: `Bearer ${token}` };
  }
});

afterAll(async () => {
  await gateway?.close();
  await backend?.close();
  await issuer?.[Symbol.asyncDispose]();
});

/** `data` as `who` (a subject of `auth`). */
function as(who: string, query: string, variables?: Record<string, unknown>) {
  return data(gateway.url, query, variables, auth[who]);
}

/** A team of Ada (owner) and Bob, with one task assigned to Bob; their ids. */
async function teamWithTask(title: string) {
  const { usersStore: ada } = await as("ada", `mutation { usersStore }`);
  const { usersStore: bob } = await as("bob", `mutation { usersStore }`);
  const { teamsCreate: team } = await as("ada", `mutation { teamsCreate(name: "Core") }`);
  await as("ada", `mutation ($t: ID!, $u: ID!) { teamsAddMember(teamId: $t, userId: $u) }`, {
    t: team,
    u: bob,
  });
  const { tasksCreate: task } = await as(
    "ada",
    `mutation ($t: ID!, $title: String!, $a: [ID!]) {
      tasksCreate(teamId: $t, title: $title, priority: 2, assigneeIds: $a, labels: ["docs"])
    }`,
    { t: team, title, a: [bob] },
  );
  return { ada, bob, team: team as string, task: task as string };
}

describe("the task tracker over GraphQL", () => {
  it("creates, lists (a connection with joins and relations), searches and details tasks", async () => {
    const { team, task } = await teamWithTask("Write the release notes");
    await as("bob", `mutation ($t: ID!) { tasksCreate(teamId: $t, title: "Fix the login") }`, {
      t: team,
    });
    const listed = await as(
      "ada",
      `query ($t: ID!) { tasksList(teamId: $t, first: 1) {
        edges { node { title status assignees { name } createdByDoc { name } teamIdDoc { name } } }
        pageInfo { hasNextPage endCursor } } }`,
      { t: team },
    );
    const page = listed["tasksList"] as {
      edges: { node: unknown }[];
      pageInfo: { hasNextPage: boolean; endCursor: string };
    };
    expect(page.edges.map((edge) => edge.node)).toEqual([
      {
        title: "Fix the login",
        status: "todo",
        assignees: [],
        createdByDoc: { name: "Bob" },
        teamIdDoc: { name: "Core" },
      },
    ]);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await as(
      "ada",
      `query ($t: ID!, $a: String) { tasksList(teamId: $t, first: 5, after: $a) {
        edges { node { title assignees { name } assigneeIdsDocs { name } } } } }`,
      { t: team, a: page.pageInfo.endCursor },
    );
    expect(next).toEqual({
      tasksList: {
        edges: [
          {
            node: {
              title: "Write the release notes",
              assignees: [{ name: "Bob" }],
              assigneeIdsDocs: [{ name: "Bob" }],
            },
          },
        ],
      },
    });
    expect(
      await as("ada", `query ($t: ID!) { tasksSearch(teamId: $t, text: "relea") { title } }`, {
        t: team,
      }),
    ).toEqual({ tasksSearch: [{ title: "Write the release notes" }] });

    await as(
      "bob",
      `mutation ($id: ID!) { tasksUpdateStatus(taskId: $id, status: in_progress) { ok previous } }`,
      {
        id: task,
      },
    );
    await as("bob", `mutation ($id: ID!) { tasksComment(taskId: $id, body: "on it") }`, {
      id: task,
    });
    const details = await as(
      "ada",
      `query ($id: ID!) { tasksDetails(taskId: $id) {
        task { status } creator { name } isMine
        activity { actorIdDoc { name } event { __typename
          ... on ActivityEventStatusChanged { from to } ... on ActivityEventCommented { body } } } } }`,
      { id: task },
    );
    expect(details).toEqual({
      tasksDetails: {
        task: { status: "in_progress" },
        creator: { name: "Ada" },
        isMine: false,
        activity: [
          {
            actorIdDoc: { name: "Bob" },
            event: { __typename: "ActivityEventCommented", body: "on it" },
          },
          {
            actorIdDoc: { name: "Bob" },
            event: { __typename: "ActivityEventStatusChanged", from: "todo", to: "in_progress" },
          },
          { actorIdDoc: { name: "Ada" }, event: { __typename: "ActivityEventCreated" } },
        ],
      },
    });
  });

  it("answers the app's ConvexError with its code and data, and bad ids as BAD_USER_INPUT", async () => {
    const { team, task } = await teamWithTask("Ship it");
    const refused = await post(
      gateway.url,
      {
        query: `mutation ($id: ID!) { tasksUpdateStatus(taskId: $id, status: todo) { ok } }`,
        variables: { id: task },
      },
      auth["ada"],
    );
    expect(refused.json().errors?.[0]).toMatchObject({
      message: "Cannot move a task from todo to todo",
      extensions: {
        code: "INVALID_TRANSITION",
        data: { code: "INVALID_TRANSITION", from: "todo", to: "todo" },
      },
    });
    const wrongTable = await post(
      gateway.url,
      { query: `query ($id: ID!) { tasksGet(taskId: $id) { title } }`, variables: { id: team } },
      auth["ada"],
    );
    expect(wrongTable.json().errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const anonymous = await post(gateway.url, { query: `{ teamsMine { name } }` });
    expect(anonymous.json().errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("delivers the scheduled reminder (ctx.scheduler.runAt) into a union-typed list", async () => {
    const { team } = await teamWithTask("Due soon");
    const { usersStore: bob } = await as("bob", `mutation { usersStore }`);
    await as(
      "ada",
      `mutation ($t: ID!, $a: [ID!], $due: Float) { tasksCreate(teamId: $t, title: "Tomorrow", assigneeIds: $a, dueDate: $due) }`,
      { t: team, a: [bob], due: Date.now() + 60 * 60 * 1000 },
    );
    await using socket = wsClient(gateway.url, {
      connectionParams: { authorization: `Bearer ${tokens["bob"]}` },
    });
    using reminders = record(socket, {
      query: `subscription { notificationsMine { __typename
        ... on NotificationDueSoon { _id taskIdDoc { title } } } }`,
    });
    const delivered = await reminders.value(
      (result) =>
        JSON.stringify(result.data).includes('"__typename":"NotificationDueSoon","_id":') &&
        JSON.stringify(result.data).includes('"taskIdDoc":{"title":"Tomorrow"}'),
      "the due-soon reminder",
    );
    // The union table's type (`Notification`) is the same wherever its documents appear: a
    // fetch-by-id query's result, and the relation of an id field (`idsDocs`).
    const reminder = (
      (delivered.data?.["notificationsMine"] ?? []) as { __typename: string; _id?: string }[]
    ).find((notification) => notification.__typename === "NotificationDueSoon");
    const one = await as(
      "bob",
      `query ($id: ID!) { notificationsGet(id: $id) { ... on NotificationDueSoon { kind dueDate } } }`,
      { id: reminder?._id },
    );
    expect(one).toEqual({
      notificationsGet: { kind: "due_soon", dueDate: expect.any(Number) as number },
    });
    const unread = await as(
      "bob",
      `{ notificationsUnread { count idsDocs { __typename ... on NotificationDueSoon { taskIdDoc { title } } } } }`,
    );
    const { count, idsDocs } = unread["notificationsUnread"] as {
      count: number;
      idsDocs: { __typename: string; taskIdDoc?: { title: string } }[];
    };
    // With Bob's earlier mentions, if other tests made some: each resolved to its member type.
    expect(idsDocs).toHaveLength(count);
    expect(idsDocs).toContainEqual({
      __typename: "NotificationDueSoon",
      taskIdDoc: { title: "Tomorrow" },
    });
  });
});

describe("live results", () => {
  it("pushes a grown page over graphql-ws and new stats over SSE", async () => {
    const { team } = await teamWithTask("First");
    await using socket = wsClient(gateway.url, {
      connectionParams: { authorization: `Bearer ${tokens["bob"]}` },
    });
    using page = record(socket, {
      query: `subscription ($t: ID!) { tasksList(teamId: $t, first: 5) { edges { node { title } } } }`,
      variables: { t: team },
    });
    expect((await page.next("the first page")).data).toEqual({
      tasksList: { edges: [{ node: { title: "First" } }] },
    });

    const stream = new AbortController();
    const sse = await within(
      fetch(gateway.url, {
        method: "POST",
        signal: stream.signal,
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          ...auth["ada"],
        },
        body: JSON.stringify({
          query: `subscription ($t: ID!) { tasksStats(teamId: $t) { total } }`,
          variables: { t: team },
        }),
      }),
      STEP_MS,
      "the SSE stream",
    );
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    await as("ada", `mutation ($t: ID!) { tasksCreate(teamId: $t, title: "Second") }`, { t: team });
    expect((await page.next("the grown page")).data).toEqual({
      tasksList: { edges: [{ node: { title: "Second" } }, { node: { title: "First" } }] },
    });
    const reader = sse.body!.getReader();
    let text = "";
    while (!text.includes('"total":2')) {
      const chunk = await within(reader.read(), STEP_MS, "the SSE event with the new total");
      if (chunk.done) break;
      text += Buffer.from(chunk.value).toString();
    }
    stream.abort();
    expect(text).toContain('data: {"data":{"tasksStats":{"total":1}}}');
    expect(text).toContain('data: {"data":{"tasksStats":{"total":2}}}');
  });

  it("updates the official ConvexClient's search subscription, and hands it ConvexError data", async () => {
    const { team, task } = await teamWithTask("Fix the flaky login test");
    await using client = syncClient(backend.url);
    client.setAuth(() => Promise.resolve(tokens["bob"] ?? null));
    using results = recordConvex(client, fns.search, { teamId: team, text: "login" });
    await results.value((value) => value[0]?.status === "todo", "the search result");
    await client.mutation(fns.updateStatus, { taskId: task, status: "done" });
    await results.value((value) => value[0]?.status === "done", "the updated result");
    const refused = await client
      .mutation(fns.updateStatus, { taskId: task, status: "in_progress" })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConvexError);
    expect((refused as ConvexError<Record<string, string>>).data).toMatchObject({
      code: "INVALID_TRANSITION",
      from: "done",
    });
  });
});

describe("batteries: a Node action, file storage, HTTP actions", () => {
  it('signs an export with the secret the "use node" module read at load', async () => {
    const { task } = await teamWithTask("Export me");
    const exported = await as(
      "ada",
      `mutation ($id: ID!) { integrationsExportTask(taskId: $id) { body signature nonce } integrationsSecretConfigured }`,
      { id: task },
    );
    const { body, signature } = exported["integrationsExportTask"] as Record<string, string>;
    expect(JSON.parse(body ?? "")).toEqual({ title: "Export me", team: "Core" });
    expect(signature).toBe(
      crypto
        .createHmac("sha256", WEBHOOK_SECRET)
        .update(body ?? "")
        .digest("hex"),
    );
    expect(exported["integrationsSecretConfigured"]).toBe(true);
  });

  it("attaches an uploaded file and serves it from its URL", async () => {
    const { task } = await teamWithTask("With a file");
    const { filesGenerateUploadUrl: uploadUrl } = await as(
      "ada",
      `mutation { filesGenerateUploadUrl }`,
    );
    const uploaded = await within(
      fetch(uploadUrl as string, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "notes",
      }),
      STEP_MS,
      "the upload",
    );
    const { storageId } = (await uploaded.json()) as { storageId: string };
    await as("ada", `mutation ($t: ID!, $s: ID!) { filesAttach(taskId: $t, storageId: $s) }`, {
      t: task,
      s: storageId,
    });
    const found = await as(
      "ada",
      `query ($t: ID!) { filesAttachmentUrl(taskId: $t) filesAttachmentInfo(taskId: $t) { size contentType } }`,
      { t: task },
    );
    expect(found["filesAttachmentInfo"]).toEqual({ size: 5, contentType: "text/plain" });
    const served = await within(fetch(found["filesAttachmentUrl"] as string), STEP_MS, "the file");
    expect(await served.text()).toBe("notes");
  });

  it("serves GET and POST routes of convex/http.ts on the URL functions read as CONVEX_SITE_URL", async () => {
    const { task } = await teamWithTask("Over HTTP");
    const { webhooksCallbackUrl } = await as("ada", `{ webhooksCallbackUrl }`);
    expect(webhooksCallbackUrl).toBe(`${backend.siteUrl}/webhooks/github`);

    const got = await within(fetch(`${backend.siteUrl}/tasks?id=${task}`), STEP_MS, "GET /tasks");
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ task: { title: "Over HTTP" }, teamName: "Core" });

    const body = JSON.stringify({ action: "opened" });
    const signature = crypto.createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex");
    const hook = (sig: string) =>
      within(
        fetch(webhooksCallbackUrl as string, {
          method: "POST",
          headers: { "x-signature": sig },
          body,
        }),
        STEP_MS,
        "the webhook",
      );
    expect((await hook(signature)).status).toBe(200);
    expect((await hook("forged")).status).toBe(401);
    const recorded = await as("ada", `{ webhooksRecent { payload verified } }`);
    expect(recorded["webhooksRecent"]).toEqual(
      expect.arrayContaining([
        { payload: { action: "opened" }, verified: true },
        { payload: { action: "opened" }, verified: false },
      ]),
    );
  });

  it("stores a CSV from a Node action and schedules a Node action; an action fetches its own site", async () => {
    const { team, task } = await teamWithTask("Report me");
    const exported = await as(
      "ada",
      `mutation ($t: ID!) { reportsExportCsv(teamId: $t) { storageId url rows } maintenanceExportViaDefault(teamId: $t) }`,
      { t: team },
    );
    const csv = exported["reportsExportCsv"] as { url: string; rows: number };
    expect(csv.rows).toBe(1);
    expect(exported["maintenanceExportViaDefault"]).toBe(1);
    const file = await within(fetch(csv.url), STEP_MS, "the CSV");
    expect(file.headers.get("content-type")).toBe("text/csv");
    expect(await file.text()).toBe('title,status\n"Report me",todo');
    const pinged = await as(
      "ada",
      `mutation ($t: ID!) { reportsPingSite(taskId: $t) { status body { teamName } } }`,
      { t: task },
    );
    expect(pinged).toEqual({ reportsPingSite: { status: 200, body: { teamName: "Core" } } });
    const jobs = async () =>
      (await as("ada", `{ maintenancePendingJobs { name state } }`))["maintenancePendingJobs"];
    await eventually(
      async () =>
        JSON.stringify(await jobs()).includes('{"name":"reports.js:countBytes","state":"success"}'),
      "the scheduled Node action to succeed",
    );
  });

  it("removes fields patched to undefined, and round-trips bytes and int64", async () => {
    const { task } = await teamWithTask("Patch me");
    expect(
      await as(
        "ada",
        `mutation ($t: ID!) { maintenanceClearDueDate(taskId: $t) { title labels } }`,
        {
          t: task,
        },
      ),
    ).toEqual({ maintenanceClearDueDate: { title: "Patch me", labels: null } });
    expect(
      await as(
        "ada",
        `{ maintenanceChecksum(data: "AQID", n: "9007199254740993") { sum echo size } }`,
      ),
    ).toEqual({ maintenanceChecksum: { sum: "54043195528445958", echo: "AQID", size: 3 } });
  });

  it("routes by path prefix, OPTIONS included (CORS)", async () => {
    const { task } = await teamWithTask("Prefixed");
    const preflight = await within(
      fetch(`${backend.siteUrl}/api/tasks/${task}`, { method: "OPTIONS" }),
      STEP_MS,
      "the preflight",
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, POST");
    const got = await within(fetch(`${backend.siteUrl}/api/tasks/${task}`), STEP_MS, "the GET");
    expect(got.headers.get("access-control-allow-origin")).toBe("*");
    expect(await got.json()).toMatchObject({ task: { title: "Prefixed" } });
  });

  it("answers ConvexHttpClient with the app's ConvexError data", async () => {
    const { task } = await teamWithTask("Via HTTP client");
    const client = httpClient(backend.url);
    client.setAuth(tokens["ada"] ?? "");
    const refused = await client
      .mutation(fns.updateStatus, { taskId: task, status: "todo" })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConvexError);
    expect((refused as ConvexError<Record<string, string>>).data).toMatchObject({
      code: "INVALID_TRANSITION",
    });
  });
});
