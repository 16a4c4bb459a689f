/**
 * Types the schema derivation once got wrong, derived from a real app (test/fixtures/
 * edge_types_app, its results partly declared, partly inferred) and from hand-written validators:
 * string literals GraphQL reserves or cannot name (a `String`, never a failed build), every `JSON`
 * field with a printed reason, unions whose members differ only in their discriminant, a
 * boolean discriminant, documents joined with more fields, and table type names.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import {
  getNamedType,
  isObjectType,
  isUnionType,
  validateSchema,
  type GraphQLNamedType,
  type GraphQLSchema,
} from "graphql";
import type { ValidatorJSON } from "convex/values";
import { describe, expect, it } from "vitest";
import { describeApp } from "../../describe/index.ts";
import { deriveSchema, printContract } from "../../gateway/index.ts";
import type { AppDescription, FunctionInfo } from "../../gateway/schema/app_description.ts";
import { pascalCase, tableTypeName } from "../../gateway/schema/names.ts";
import { REPO_ROOT } from "../utils/backend.ts";
import { fieldsOf } from "../example_app/support/signed_in_app.ts";

const EDGE_TYPES_APP_DIR = path.join(REPO_ROOT, "test/fixtures/edge_types_app");

/** `Type.field` and `Type.field(arg:)` of every field and argument whose type is `JSON`. */
function jsonCoordinates(schema: GraphQLSchema): string[] {
  const found: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      if (getNamedType(field.type).name === "JSON") found.push(`${type.name}.${field.name}`);
      for (const arg of field.args)
        if (getNamedType(arg.type).name === "JSON")
          found.push(`${type.name}.${field.name}(${arg.name}:)`);
    }
  }
  return found.filter((coordinate) => !coordinate.startsWith("Subscription."));
}

function fieldType(schema: GraphQLSchema, type: string, field: string): string | undefined {
  const named: GraphQLNamedType | undefined = schema.getType(type);
  return isObjectType(named) ? named.getFields()[field]?.type.toString() : undefined;
}

describe("the edge types fixture app", () => {
  it("derives a valid schema (snapshot) with every fallback reported", async () => {
    const app = await describeApp(EDGE_TYPES_APP_DIR);
    expect(app.inferenceError).toBeNull();
    expect(app.fallbacks).toEqual([]);
    const { schema, fallbacks } = deriveSchema(app);
    expect(validateSchema(schema)).toEqual([]);
    await expect(printContract(schema)).toMatchFileSnapshot(
      "./__snapshots__/edge_types_app.graphql",
    );
    const literal = (value: string, why: string): string =>
      `the literal "${value}" cannot be an enum value: ${why}`;
    const notAName = "GraphQL names are letters, digits and _, not starting with a digit";
    const reserved = "GraphQL reserves true, false and null";
    expect(fallbacks).toEqual([
      {
        path: "jobs:add",
        where: "args.state",
        type: "JSON",
        reason: "a union of objects: GraphQL has no input unions",
      },
      {
        path: "literals:counts",
        where: "returns",
        type: "JSON",
        reason: "a record (`v.record`): GraphQL has no map type",
      },
      {
        path: "literals:headers",
        where: "returns",
        type: "JSON",
        reason: "the field name `content-type` is not a GraphQL name",
      },
      {
        path: "literals:inferredHeaders",
        where: "returns.headers",
        type: "JSON",
        reason: "the field name `content-type` is not a GraphQL name",
      },
      {
        path: "literals:mixed",
        where: "returns",
        type: "JSON",
        reason:
          "a union of different kinds (`string | number`): GraphQL unions hold object types only",
      },
      {
        path: "literals:nameless",
        where: "args",
        type: "JSON",
        reason: "the argument name `x-key` is not a GraphQL name",
      },
      {
        path: "literals:progress",
        where: "returns",
        type: "String",
        reason: literal("in-progress", notAName),
      },
      {
        path: "literals:progress",
        where: "args.step",
        type: "String",
        reason: literal("1st", notAName),
      },
      {
        path: "literals:setFlag",
        where: "args.flag",
        type: "String",
        reason: literal("true", reserved),
      },
      {
        path: "literals:tristate",
        where: "returns",
        type: "String",
        reason: expect.stringContaining(reserved) as string,
      },
      {
        path: "movies:add",
        where: "args.rating",
        type: "String",
        reason: literal("pg-13", notAName),
      },
      {
        path: "schema.ts",
        where: "movies.rating",
        type: "String",
        reason: literal("pg-13", notAName),
      },
    ]);
    // Every JSON field or argument is one of those, or what the app said: `v.any()` (anything),
    // and the arguments of a handler that types none (nameless). A result that is always null
    // (nothing) is `Void`.
    expect(fieldType(schema, "Mutation", "literalsNothing")).toBe("Void");
    expect(jsonCoordinates(schema).sort()).toEqual([
      "LiteralsInferredHeadersResult.headers",
      "Mutation.jobsAdd(state:)",
      "Mutation.literalsNameless(args:)",
      "Query.literalsAnything",
      "Query.literalsCounts",
      "Query.literalsHeaders",
      "Query.literalsMixed",
    ]);
  }, 120_000);

  it("makes string literals GraphQL reserves or cannot name a String, for results and args", async () => {
    const { schema } = deriveSchema(await describeApp(EDGE_TYPES_APP_DIR));
    expect(fieldType(schema, "Query", "literalsTristate")).toBe("String!");
    expect(fieldType(schema, "Query", "literalsProgress")).toBe("String!");
    const setFlag = schema.getMutationType()?.getFields()["literalsSetFlag"];
    expect(setFlag?.args.map((arg) => `${arg.name}: ${arg.type.toString()}`)).toEqual([
      "flag: String!",
    ]);
    expect(fieldType(schema, "Movie", "rating")).toBe("String!");
  });

  it("gives members that differ only in their discriminant a type each", async () => {
    const { schema } = deriveSchema(await describeApp(EDGE_TYPES_APP_DIR));
    const state = schema.getType("JobState");
    expect(isUnionType(state) && state.getTypes().map((type) => type.name)).toEqual([
      "JobStatePending",
      "JobStateQueued",
      "JobStateFailed",
    ]);
    expect(fieldType(schema, "Job", "state")).toBe("JobState!");
    // The inferred union (`JobState[]`) is the declared one: one type.
    expect(fieldType(schema, "Query", "jobsStates")).toBe("[JobState!]!");
    expect(fieldType(schema, "JobStateQueued", "kind")).toBe("JobStateKind!");
  });

  it("maps a boolean discriminant to Boolean!", async () => {
    const { schema } = deriveSchema(await describeApp(EDGE_TYPES_APP_DIR));
    expect(fieldType(schema, "JobsOutcomesResultTrue", "ok")).toBe("Boolean!");
    expect(fieldType(schema, "JobsOutcomesResultFalse", "ok")).toBe("Boolean!");
  });

  it("never makes a relation of `_id`: a document joined with more fields keeps its others", async () => {
    const { schema } = deriveSchema(await describeApp(EDGE_TYPES_APP_DIR));
    const joined = schema.getType("MessagesWithLikesResult");
    expect(isObjectType(joined) && Object.keys(joined.getFields()).sort()).toEqual([
      "_creationTime",
      "_id",
      "body",
      "likes",
      "movie",
      "movieDoc",
    ]);
  });

  it("names tables' types with their singular", async () => {
    const { schema } = deriveSchema(await describeApp(EDGE_TYPES_APP_DIR));
    expect(fieldType(schema, "Query", "moviesGet")).toBe("Movie");
    expect(fieldType(schema, "Query", "moviesCookies")).toBe("[Cookie!]!");
    expect(fieldType(schema, "Query", "moviesSeries")).toBe("[Series!]!");
    expect(fieldType(schema, "Query", "moviesCategories")).toBe("[Category!]!");
  });
});

it("singularises a table name's last word: -ie words, sibilants' -es, irregular plurals, words singular as they are", () => {
  const names = [
    "movies",
    "cookies",
    "favorite_movies",
    "zombies",
    "ties",
    "series",
    "tv_series",
    "species",
    "news",
    "categories",
    "parties",
    "puppies",
    "orders",
    "status",
    "addressBook",
    "dishes",
    "boxes",
    "addresses",
    "matches",
    "caches",
    "headaches",
    "messages",
    "statuses",
    "order_statuses",
    "buses",
    "houses",
    "purchases",
    "aliases",
    "quizzes",
    "people",
    "team_members",
    "MEN",
    "children",
    "heroes",
    "shoes",
    "knives",
    "archives",
    "analyses",
    "indices",
  ];
  expect(Object.fromEntries(names.map((name) => [name, tableTypeName(name)]))).toEqual({
    movies: "Movie",
    cookies: "Cookie",
    favorite_movies: "FavoriteMovie",
    zombies: "Zombie",
    ties: "Tie",
    series: "Series",
    tv_series: "TvSeries",
    species: "Species",
    news: "News",
    categories: "Category",
    parties: "Party",
    puppies: "Puppy",
    orders: "Order",
    status: "Status",
    addressBook: "AddressBook",
    dishes: "Dish",
    boxes: "Box",
    addresses: "Address",
    matches: "Match",
    caches: "Cache",
    headaches: "Headache",
    messages: "Message",
    statuses: "Status",
    order_statuses: "OrderStatus",
    buses: "Bus",
    houses: "House",
    purchases: "Purchase",
    aliases: "Alias",
    quizzes: "Quiz",
    people: "Person",
    team_members: "TeamMember",
    MEN: "MAN",
    children: "Child",
    heroes: "Hero",
    shoes: "Shoe",
    knives: "Knife",
    archives: "Archive",
    analyses: "Analysis",
    indices: "Index",
  });
});

it("keeps a table named in the singular of a listed plural as it is, and names -u words' plurals", () => {
  const names = {
    // Singulars of listed irregular plurals, as `status` is.
    alias: "Alias",
    canvas: "Canvas",
    atlas: "Atlas",
    gas: "Gas",
    bias: "Bias",
    lens: "Lens",
    analysis: "Analysis",
    crisis: "Crisis",
    user_aliases: "UserAlias",
    // `axes` is the plural of `axis` (not of an `ax`).
    axis: "Axis",
    axes: "Axis",
    // A mass noun, not the plural of an adjective.
    analytics: "Analytics",
    // Plurals of words ending in `u`.
    menus: "Menu",
    skus: "Sku",
    product_skus: "ProductSku",
    // Unchanged: words ending in `us` or `ss` are singular.
    bus: "Bus",
    status: "Status",
    campus: "Campus",
    business: "Business",
    process: "Process",
    address: "Address",
  };
  expect(Object.fromEntries(Object.keys(names).map((name) => [name, tableTypeName(name)]))).toEqual(
    names,
  );
});

describe("declared validators", () => {
  const fn = (path: string, returns: ValidatorJSON, args?: ValidatorJSON): FunctionInfo => ({
    path,
    kind: "query",
    visibility: "public",
    args: args ?? { type: "object", value: {} },
    returns,
  });
  const literal = (value: string | number | boolean): ValidatorJSON => ({ type: "literal", value });
  const union = (...value: ValidatorJSON[]): ValidatorJSON => ({ type: "union", value });

  it("types a union of literals or scalars of one kind as that scalar", () => {
    const app: AppDescription = {
      schema: null,
      functions: [
        fn("a:flags", union(literal(true), literal(false))),
        fn("a:sizes", union(literal(1), literal(2), { type: "number" })),
        fn("a:label", union({ type: "string" }, literal("none"))),
        fn(
          "a:big",
          union({ type: "literal", value: { $integer: "AQAAAAAAAAA=" } }, { type: "bigint" }),
        ),
        fn("a:reserved", literal("null"), {
          type: "object",
          value: { mode: { fieldType: union(literal("true"), literal("x")), optional: true } },
        }),
      ],
    };
    const { schema, fallbacks } = deriveSchema(app);
    expect(validateSchema(schema)).toEqual([]);
    const query = schema.getQueryType()?.getFields() ?? {};
    expect(
      Object.fromEntries(Object.entries(query).map(([name, f]) => [name, f.type.toString()])),
    ).toEqual({
      aFlags: "Boolean!",
      aSizes: "Float!",
      aLabel: "String!",
      aBig: "BigInt!",
      aReserved: "String!",
    });
    expect(query["aReserved"]?.args.map((arg) => arg.type.toString())).toEqual(["String"]);
    expect(fallbacks.map(({ path, where, type }) => `${path} ${where}: ${type}`)).toEqual([
      "a:reserved returns: String",
      "a:reserved args.mode: String",
    ]);
  });

  it("reports a union of objects that no field tells apart wherever it appears", () => {
    // A `{ x }` is both members: neither a literal nor the fields tell which one it is.
    const x = { fieldType: { type: "number" }, optional: false } as const;
    const shapes = union(
      { type: "object", value: { x } },
      { type: "object", value: { x, y: { fieldType: { type: "string" }, optional: true } } },
    );
    const { fallbacks } = deriveSchema({
      schema: null,
      functions: [fn("a:one", shapes), fn("a:two", { type: "array", value: shapes })],
    });
    const reason =
      "a union of object types told apart neither by a common literal property nor by the fields they hold";
    expect(fallbacks).toEqual([
      { path: "a:one", where: "returns", type: "JSON", reason },
      { path: "a:two", where: "returns[]", type: "JSON", reason },
    ]);
  });

  it("types a union of objects told apart by their fields, resolving each by the fields it holds", () => {
    const field = (fieldType: ValidatorJSON, optional = false) => ({ fieldType, optional });
    // `{ x } | { x, y }`: a value with `y` is the second, one without it the first.
    const shapes = union(
      { type: "object", value: { x: field({ type: "number" }) } },
      {
        type: "object",
        value: { x: field({ type: "number" }), y: field({ type: "string" }) },
      },
    );
    const { schema, fallbacks } = deriveSchema({
      schema: null,
      functions: [fn("a:one", { type: "array", value: shapes })],
    });
    expect(fallbacks).toEqual([]);
    const type = schema.getType("AOneResult");
    expect(isUnionType(type) && type.getTypes().map((member) => member.name)).toEqual([
      "AOneResult1",
      "AOneResultY",
    ]);
    const resolve = isUnionType(type) ? type.resolveType : undefined;
    const resolved = [{ x: 1 }, { x: 1, y: "a" }].map((value) =>
      resolve?.(value, {}, {} as never, type as never),
    );
    expect(resolved).toEqual(["AOneResult1", "AOneResultY"]);
  });

  it("types a union table's documents as one union named after the table, wherever they appear", () => {
    const field = (fieldType: ValidatorJSON) => ({ fieldType, optional: false });
    const users = { type: "id", tableName: "users" } as const;
    const mention = { kind: field(literal("mention")), userId: field(users) };
    const dueSoon = { kind: field(literal("due_soon")), dueDate: field({ type: "number" }) };
    const document = (fields: Record<string, ReturnType<typeof field>>): ValidatorJSON => ({
      type: "object",
      value: {
        _id: field({ type: "id", tableName: "notifications" }),
        _creationTime: field({ type: "number" }),
        ...fields,
      },
    });
    const whole = union(document(mention), document(dueSoon));
    const byId: FunctionInfo = fn("notifications:get", union(whole, { type: "null" }), {
      type: "object",
      value: { id: field({ type: "id", tableName: "notifications" }) },
    });
    const app = (extra: FunctionInfo[]): AppDescription => ({
      schema: {
        tables: new Map([
          [
            "notifications",
            {
              documentType: union(
                { type: "object", value: mention },
                { type: "object", value: dueSoon },
              ),
            },
          ],
          ["users", { documentType: { type: "object", value: {} } }],
        ]),
      },
      functions: [
        fn("notifications:mine", { type: "array", value: whole }),
        fn("notifications:latestMention", union(document(mention), { type: "null" })),
        fn("notifications:unread", {
          type: "object",
          value: {
            ids: field({ type: "array", value: { type: "id", tableName: "notifications" } }),
          },
        }),
        ...extra,
      ],
    });
    const { schema } = deriveSchema(app([byId]));
    expect(validateSchema(schema)).toEqual([]);
    const query = schema.getQueryType()?.getFields() ?? {};
    expect(query["notificationsMine"]?.type.toString()).toBe("[Notification!]!");
    expect(query["notificationsGet"]?.type.toString()).toBe("Notification");
    expect(query["notificationsLatestMention"]?.type.toString()).toBe("NotificationMention");
    const union_ = schema.getType("Notification");
    expect(isUnionType(union_) && union_.getTypes().map((t) => t.name)).toEqual([
      "NotificationMention",
      "NotificationDueSoon",
    ]);
    expect(fieldType(schema, "NotificationsUnreadResult", "idsDocs")).toBe("[Notification]!");
    expect(fieldType(schema, "NotificationDueSoon", "_id")).toBe("ID!");
    // The same names without the fetch-by-id query (no relation then), in any order of functions.
    const { schema: fewer } = deriveSchema(app([]));
    expect(printContract(fewer)).toContain(
      "union Notification = NotificationMention | NotificationDueSoon",
    );
  });

  it("types an object without `_creationTime` as its own type, not its table's", () => {
    // The table's type says `_creationTime: Float!`: a projection without it would answer null.
    const field = (fieldType: ValidatorJSON) => ({ fieldType, optional: false });
    const name = field({ type: "string" });
    const projection = (table: string, fields: Record<string, ReturnType<typeof field>>) => ({
      type: "object" as const,
      value: { _id: field({ type: "id", tableName: table }), ...fields },
    });
    const kind = (value: string) => field(literal(value));
    const { schema } = deriveSchema({
      schema: {
        tables: new Map([
          ["users", { documentType: { type: "object", value: { name } } }],
          [
            "events",
            {
              documentType: union(
                { type: "object", value: { kind: kind("a"), name } },
                { type: "object", value: { kind: kind("b") } },
              ),
            },
          ],
        ]),
      },
      functions: [
        fn("users:names", { type: "array", value: projection("users", { name }) }),
        fn("events:firstA", projection("events", { kind: kind("a"), name })),
      ],
    });
    expect(validateSchema(schema)).toEqual([]);
    const query = schema.getQueryType()?.getFields() ?? {};
    expect(query["usersNames"]?.type.toString()).toBe("[UsersNamesResult!]!");
    expect(query["eventsFirstA"]?.type.toString()).toBe("EventsFirstAResult!");
    expect(fieldType(schema, "UsersNamesResult", "_creationTime")).toBeUndefined();
  });

  it("keeps a union table's members apart in a function's union of some of them", () => {
    // `liked` and `followed` have the same fields; only the discriminant tells them apart.
    const field = (fieldType: ValidatorJSON) => ({ fieldType, optional: false });
    const users = { type: "id", tableName: "users" } as const;
    const liked = { kind: field(literal("liked")), userId: field(users) };
    const followed = { kind: field(literal("followed")), userId: field(users) };
    const system = field({ type: "number" });
    const document = (fields: Record<string, ReturnType<typeof field>>): ValidatorJSON => ({
      type: "object",
      value: { _id: field({ type: "id", tableName: "events" }), _creationTime: system, ...fields },
    });
    const reported = { type: "object", value: { kind: field(literal("reported")) } } as const;
    const { schema } = deriveSchema({
      schema: {
        tables: new Map([
          [
            "events",
            {
              documentType: union(
                { type: "object", value: liked },
                { type: "object", value: followed },
                reported,
              ),
            },
          ],
          ["users", { documentType: { type: "object", value: {} } }],
        ]),
      },
      functions: [
        fn("events:social", { type: "array", value: union(document(followed), document(liked)) }),
      ],
    });
    expect(validateSchema(schema)).toEqual([]);
    const social = getNamedType(schema.getQueryType()?.getFields()["eventsSocial"]?.type);
    if (!isUnionType(social)) throw new Error(`eventsSocial is ${String(social)}, no union`);
    expect(social.getTypes().map((type) => type.name)).toEqual(["EventFollowed", "EventLiked"]);
    // The member a value resolves to, by its discriminant.
    const resolve = (kind: string) => social.resolveType?.({ kind }, {}, {} as never, social);
    expect([resolve("liked"), resolve("followed")]).toEqual(["EventLiked", "EventFollowed"]);
  });
});

describe("convex-graphql schema", () => {
  it("builds the schema of reserved literals and prints each fallback on stderr", async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["cli/bin.js", "schema", "--dir", "test/fixtures/edge_types_app"],
      { cwd: REPO_ROOT, timeout: 120_000 },
    );
    expect(stdout).toContain("literalsTristate: String!");
    expect(stderr.split("\n")).toEqual(
      expect.arrayContaining([
        'convex-graphql schema: literals:setFlag args.flag: String (the literal "true" cannot be an enum value: GraphQL reserves true, false and null)',
        "convex-graphql schema: literals:headers returns: JSON (the field name `content-type` is not a GraphQL name)",
      ]),
    );
  }, 120_000);
});

it("names constants written in capitals word by word, and keeps a lone capitalised word", () => {
  const cases = ["NOT_LOGGED_IN", '"RATE_LIMITED"', "API_KEY", "MOVIES", "userError", "v2_items"];
  expect(Object.fromEntries(cases.map((text) => [text, pascalCase(text)]))).toEqual({
    NOT_LOGGED_IN: "NotLoggedIn",
    '"RATE_LIMITED"': "RateLimited",
    API_KEY: "ApiKey",
    MOVIES: "MOVIES",
    userError: "UserError",
    v2_items: "V2Items",
  });
});

it("types a branded string as String, and a field named like an Object method as a field", async () => {
  const schema = deriveSchema(await describeApp(EDGE_TYPES_APP_DIR)).schema;
  expect(fieldsOf(schema, "Query")).toMatchObject({
    brandsSku: "String!",
    brandsEntries: "[BrandsEntriesResult!]!",
  });
  expect(fieldsOf(schema, "BrandsEntriesResultNote")).toEqual({
    type: "BrandsEntriesResultType!",
    toString: "String!",
  });
}, 60_000);
