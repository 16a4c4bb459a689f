/**
 * What a contract the gateway cannot honour gets at start: one error listing every problem, each
 * naming the file, the line, the field and why. Each kind of refusal is a small edit of the
 * contract fixture; the real CLI refuses one and exits; in dev, a broken edit keeps the previous
 * schema serving.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  contractSchema,
  ContractError,
  derivedAppSchema,
  specFromDescription,
  type AppDescription,
} from "../../gateway/index.ts";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import { eventually, within } from "../utils/waits.ts";
import { CONTRACT_FILE, describeContractApp } from "./support/contract_app.ts";

const CONTRACT = fs.readFileSync(CONTRACT_FILE, "utf8");
let app: AppDescription;

beforeAll(async () => {
  app = await describeContractApp();
});

/** The contract with `from` replaced by `to` (which must occur). */
function edited(from: string, to: string): string {
  expect(CONTRACT).toContain(from);
  return CONTRACT.replace(from, to);
}

/** The line (1-based) of the first occurrence of `text` in `sdl`. */
function lineOf(sdl: string, text: string): number {
  return sdl.slice(0, sdl.indexOf(text)).split("\n").length;
}

/** The lines of the refusal of `sdl` (after the heading). */
function refusal(sdl: string): string[] {
  try {
    contractSchema(sdl, "bad.graphql", app);
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    const [heading, ...lines] = (error as Error).message.split("\n");
    expect(heading).toBe("bad.graphql: the GraphQL contract cannot be served:");
    return lines.map((line) => line.trim());
  }
  throw new Error("the contract was accepted");
}

describe("a contract is refused at start", () => {
  it("serves the fixture as it is", () => {
    expect(() => contractSchema(CONTRACT, "schema.graphql", app)).not.toThrow();
  });

  it("when a field names an unknown, internal or other kind of function", () => {
    const sdl = edited(
      `people: [Person!]! @convex(query: "users:list")`,
      `people: [Person!]! @convex(query: "users:nope")\n  emails: [String!]! @convex(query: "users:emails")\n  joined: ID! @convex(query: "users:create")`,
    );
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${lineOf(sdl, "people:")}: Query.people: no Convex function "users:nope"`,
      `bad.graphql:${lineOf(sdl, "emails:")}: Query.emails: "users:emails" is an internal function: only public functions can be served`,
      `bad.graphql:${lineOf(sdl, "joined:")}: Query.joined: "users:create" is a mutation, not a query`,
    ]);
  });

  it("when a root field is not bound, or bound to the wrong kind", () => {
    const sdl = edited(
      `type Query {`,
      `type Query {\n  loose: String\n  wrong: ID! @convex(mutation: "users:create")`,
    );
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${lineOf(sdl, "loose:")}: Query.loose: is not bound: add @convex(query: "module:function")`,
      `bad.graphql:${lineOf(sdl, "wrong:")}: Query.wrong: @convex(mutation: ...) cannot bind a query field`,
    ]);
  });

  it("when argument names do not match the function's args validator", () => {
    const sdl = edited(`join(name: String!, email: String!)`, `join(name: String!, mail: String!)`);
    const line = lineOf(sdl, "join(");
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${line}: Mutation.join(mail:): users:create has no argument "mail" (it takes: name, email)`,
      `bad.graphql:${line}: Mutation.join: users:create requires argument "email", which the field does not take`,
    ]);
  });

  it("when an argument the function requires is nullable, or of another type", () => {
    const sdl = edited(`say(user: ID!, body: String!)`, `say(user: ID, body: Float!)`);
    const line = lineOf(sdl, "say(");
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${line}: Mutation.say(user:): must be non-null: messages:send requires "user"`,
      `bad.graphql:${line}: Mutation.say(body:): Float does not fit v.string() (messages:send)`,
    ]);
  });

  it("when a non-null field stands over a result that can be null", () => {
    const sdl = edited(`person(id: ID!): Person @convex`, `person(id: ID!): Person! @convex`);
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${lineOf(sdl, "person(")}: Query.person: is non-null, but the result can be null (a union)`,
    ]);
  });

  it("when a type names a field the result does not have, or cannot hold it", () => {
    const sdl = edited(`  name: String!\n  """What`, `  name: Float!\n  age: Float\n  """What`);
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${lineOf(sdl, "name: Float!")}: Person.name: Float cannot hold the result, v.string()`,
      `bad.graphql:${lineOf(sdl, "age:")}: Person.age: the result has no field "age" (it has: _creationTime, name, email, _id)`,
    ]);
  });

  it("when a relation's query does not take an id of the parent's table", () => {
    const sdl = edited(
      `  author: Person @convexRelation(query: "users:get", id: "user")`,
      `  author: Person @convexRelation(query: "users:get", id: "user")\n  thread: [Post!]! @convexRelation(query: "messages:byUser")\n  byBody: Person @convexRelation(query: "users:get", id: "body")`,
    );
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${lineOf(sdl, "thread:")}: Post.thread: messages:byUser takes "user" as an id of "users", but Post._id is an id of "messages"`,
      `bad.graphql:${lineOf(sdl, "byBody:")}: Post.byBody: users:get takes "id" as an id of "users", but Post.body is not an id`,
    ]);
  });

  it("when the SDL is malformed", () => {
    const sdl = edited(`person(id: ID!): Person @convex`, `person(id: ID!: Person @convex`);
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${lineOf(sdl, "person(")}: Syntax Error: Expected Name, found ":".`,
    ]);
  });

  it("when a directive has a wrong argument", () => {
    const sdl = edited(`@convex(query: "users:list")`, `@convex(qeury: "users:list")`);
    const typed = edited(`@convex(query: "users:list")`, `@convex(query: 3)`);
    expect(refusal(sdl)).toEqual([
      `bad.graphql:${lineOf(sdl, "qeury")}: Unknown argument "qeury" on directive "@convex". Did you mean "query"?`,
    ]);
    expect(refusal(typed)).toEqual([
      `bad.graphql:${lineOf(typed, "query: 3")}: Query.people: Argument "query" has invalid value 3.`,
    ]);
  });
});

describe("the CLI", () => {
  it("refuses to start a gateway on a broken contract, naming file, line and field", async () => {
    await using dir = tempDir("convex-graphql-contract-");
    const spec = path.join(dir.path, "spec.json");
    fs.writeFileSync(spec, JSON.stringify(specFromDescription(app)));
    const bad = path.join(dir.path, "schema.graphql");
    const sdl = edited(`@convex(query: "users:list")`, `@convex(query: "users:gone")`);
    fs.writeFileSync(bad, sdl);
    const child = spawn(
      process.execPath,
      [
        "cli/bin.js",
        "gateway",
        "--convex-url",
        "http://127.0.0.1:9",
        "--function-spec",
        spec,
        "--schema",
        bad,
        "--port",
        "0",
      ],
      { cwd: REPO_ROOT },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const code = await within(
      new Promise<number | null>((resolve) => child.once("exit", resolve)),
      60_000,
      "the gateway to refuse",
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${bad}:${lineOf(sdl, "people:")}: Query.people: no Convex function "users:gone"`,
    );
  }, 90_000);
});

describe("in dev", () => {
  it("keeps the previous schema serving when an edit breaks the contract", async () => {
    await using dir = tempDir("convex-graphql-contract-");
    const file = path.join(dir.path, "schema.graphql");
    fs.writeFileSync(file, CONTRACT);
    const log: string[] = [];
    const schema = await derivedAppSchema(() => Promise.resolve(app), {
      contractFile: file,
      watchContract: true,
      log: (line) => log.push(line),
    });
    try {
      const first = schema.current();
      fs.writeFileSync(
        file,
        edited(`@convex(query: "users:list")`, `@convex(query: "users:gone")`),
      );
      await eventually(() => log.length > 0, "the broken edit to be reported");
      expect(log[0]).toContain('Query.people: no Convex function "users:gone"');
      expect(log[0]).toMatch(/^✖ GraphQL schema not updated \(the previous one serves\)/);
      expect(schema.current()).toBe(first);
      fs.writeFileSync(file, edited(`people: [Person!]!`, `everyone: [Person!]!`));
      await eventually(() => log.length > 1, "the fixed edit to be applied");
      expect(log[1]).toBe("✔ GraphQL schema updated");
      expect(Object.keys(schema.current().getQueryType()?.getFields() ?? {})).toContain("everyone");
    } finally {
      schema.close();
    }
  });
});
