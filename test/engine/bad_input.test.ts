/**
 * Input the backend must refuse, and refuse clearly, without writing anything or falling over.
 *
 * The stories: arguments that break a function's validators (the message names the path and
 * the field, as Convex's do), results that break `returns`, documents that break the schema; and
 * malformed HTTP requests sent with raw `fetch` (bad JSON, wrong shapes, wrong method, a body
 * over the 20 MiB limit), each answered with the right status and `{ code, message }`, after
 * which the backend still serves.
 */
import http from "node:http";
import { describe, expect, it } from "vitest";
import {
  anyMutation,
  anyQuery,
  failure,
  fixture,
  raw,
  serve,
  type Served,
} from "./support/fixture.ts";
import { step, within } from "../utils/waits.ts";

/** Valid arguments of `checks:typedArgs`. */
const VALID = { name: "ok", count: 1, tags: ["a"], inner: { flag: true } };

async function expectNothingWritten(app: Served): Promise<void> {
  expect(await step(app.client.query(fixture.checks.journal, {}))).toEqual([]);
  expect(await step(app.client.query(fixture.checks.count, { table: "strict" }))).toBe(0);
}

describe("argument validation", () => {
  const typedArgs = anyMutation("checks:typedArgs");

  it("accepts valid arguments (the baseline the failures below differ from)", async () => {
    await using app = await serve();
    expect(await step(app.client.mutation(typedArgs, VALID))).toBeNull();
    expect(await step(app.client.query(fixture.checks.journal, {}))).toEqual(["typedArgs ok"]);
  });

  it("names the path, the value and the validator of a wrong type", async () => {
    await using app = await serve();
    const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string[]]> = [
      [
        "top-level field",
        { ...VALID, name: 5 },
        ["Path: .name", "Value: 5.0", "Validator: v.string()"],
      ],
      [
        "nested field",
        { ...VALID, inner: { flag: "yes" } },
        ["Path: .inner.flag", 'Value: "yes"', "Validator: v.boolean()"],
      ],
      [
        "array element",
        { ...VALID, tags: ["a", 3] },
        ["Path: .tags[1]", "Value: 3.0", "Validator: v.string()"],
      ],
      [
        "float for int64",
        { ...VALID, inner: { flag: true, level: 1 } },
        ["Path: .inner.level", "Validator: v.int64()"],
      ],
      ["object for array", { ...VALID, tags: { a: 1 } }, ["Path: .tags", "v.array(v.string())"]],
    ];
    for (const [name, args, fragments] of cases) {
      const error = await failure(app.client.mutation(typedArgs, args), name);
      expect(error.message, name).toContain(
        "ArgumentValidationError: Value does not match validator.",
      );
      for (const fragment of fragments) expect(error.message, name).toContain(fragment);
    }
    await expectNothingWritten(app);
  });

  it("names extra and missing fields", async () => {
    await using app = await serve();
    const extra = await failure(app.client.mutation(typedArgs, { ...VALID, extra: 1 }));
    expect(extra.message).toContain(
      "ArgumentValidationError: Object contains extra field `extra` that is not in the validator.",
    );

    const { count: _count, ...withoutCount } = VALID;
    const missing = await failure(app.client.mutation(typedArgs, withoutCount));
    expect(missing.message).toContain(
      "ArgumentValidationError: Object is missing the required field `count`.",
    );

    const nestedExtra = await failure(
      app.client.mutation(typedArgs, { ...VALID, inner: { flag: true, more: "x" } }),
    );
    expect(nestedExtra.message).toContain("Object contains extra field `more`");
    expect(nestedExtra.message).toContain("Path: .inner");

    const nestedMissing = await failure(app.client.mutation(typedArgs, { ...VALID, inner: {} }));
    expect(nestedMissing.message).toContain("Object is missing the required field `flag`");
    expect(nestedMissing.message).toContain("Path: .inner");
    await expectNothingWritten(app);
  });

  it("refuses an id of the wrong table, and a string that is no id", async () => {
    await using app = await serve();
    const valueId = await step(app.client.mutation(fixture.values.store, { label: "x", value: 1 }));
    const wrongTable = await failure(
      app.client.mutation(anyMutation("checks:itemRef"), { id: valueId }),
    );
    expect(wrongTable.message).toContain(
      `Found ID "${valueId}" from table \`values\`, which does not match the table name in validator \`v.id("items")\`.`,
    );
    expect(wrongTable.message).toContain("Path: .id");

    const notAnId = await failure(
      app.client.mutation(anyMutation("checks:itemRef"), { id: "not-an-id" }),
    );
    expect(notAnId.message).toContain("Path: .id");
    expect(notAnId.message).toContain('Validator: v.id("items")');
    await expectNothingWritten(app);
  });

  it("refuses results that break the returns validator, and rolls the mutation back", async () => {
    await using app = await serve();
    const mutationError = await failure(
      app.client.mutation(anyMutation("checks:badReturnMutation"), {}),
    );
    expect(mutationError.message).toContain(
      "ReturnsValidationError: Value does not match validator.",
    );
    expect(mutationError.message).toContain("Value: 42.0");
    expect(mutationError.message).toContain("Validator: v.string()");

    const queryError = await failure(app.client.query(anyQuery("checks:badReturnQuery"), {}));
    expect(queryError.message).toContain(
      "ReturnsValidationError: Object contains extra field `extra` that is not in the validator.",
    );
    await expectNothingWritten(app);
  });

  it("refuses documents that break the schema, and rolls the mutation back", async () => {
    await using app = await serve();
    const insertStrict = anyMutation("checks:insertStrict");
    const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
      ["wrong type", { name: "x", size: "big" }, "Path: .size"],
      ["missing field", { name: "x" }, "Object is missing the required field `size`"],
      ["extra field", { name: "x", size: 1, color: "red" }, "Object contains extra field `color`"],
    ];
    for (const [name, doc, fragment] of cases) {
      const error = await failure(app.client.mutation(insertStrict, { doc }), name);
      expect(error.message, name).toContain(
        'Failed to insert or update a document in table "strict" because it does not match the schema',
      );
      expect(error.message, name).toContain(fragment);
    }
    const undeclared = await failure(
      app.client.mutation(anyMutation("checks:insertUndeclared"), {}),
    );
    expect(undeclared.message).toContain('table "undeclared" is not declared in schema.ts');
    await expectNothingWritten(app);

    // A valid document goes in.
    await step(app.client.mutation(insertStrict, { doc: { name: "x", size: 1 } }));
    expect(await step(app.client.query(fixture.checks.count, { table: "strict" }))).toBe(1);
  });
});

/** The `{ code, message }` of a request error, after checking its status. */
function requestError(
  response: { status: number; json: Record<string, unknown> | null; text: string },
  status: number,
  code: string,
): string {
  expect(response.status, response.text).toBe(status);
  expect(response.json, response.text).not.toBeNull();
  expect(response.json!["code"], response.text).toBe(code);
  const message = response.json!["message"];
  expect(typeof message).toBe("string");
  return message as string;
}

/**
 * The status and body of a POST whose body is `size` bytes, read even when the server answers
 * before the upload finished (fetch would report the reset upload instead of the answer).
 */
async function postLarge(
  url: string,
  route: string,
  size: number,
): Promise<{ status: number; body: string }> {
  const target = new URL(route, url);
  return within(
    new Promise((resolve, reject) => {
      const request = http.request(
        target,
        { method: "POST", headers: { "content-type": "application/json", "content-length": size } },
        (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
          response.on("error", reject);
        },
      );
      // The server may close the connection once it has answered; that is not a failure here.
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
      });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const writeMore = (): void => {
        while (sent < size) {
          const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
          sent += piece.length;
          if (!request.write(piece)) {
            request.once("drain", writeMore);
            return;
          }
        }
        request.end();
      };
      writeMore();
    }),
    15_000,
    `a ${size} byte POST`,
  );
}

describe("malformed requests over raw HTTP", () => {
  it("answers bad JSON and non-object bodies with 400 BadJsonBody", async () => {
    await using app = await serve();
    const malformed = requestError(
      await raw(app.url, "/api/query", { body: '{"path": "checks:journal", ' }),
      400,
      "BadJsonBody",
    );
    expect(malformed).toMatch(/Failed to parse the request body as JSON/);
    for (const body of ["[1, 2]", "42", "null", '"checks:journal"', ""]) {
      const response = await raw(app.url, "/api/mutation", { body });
      requestError(response, 400, "BadJsonBody");
    }
  });

  it("answers a missing or malformed path with 400 BadConvexFunctionIdentifier", async () => {
    await using app = await serve();
    for (const body of [{ args: [{}] }, { path: 42, args: [{}] }, { path: "", args: [{}] }]) {
      const message = requestError(
        await raw(app.url, "/api/query", { body }),
        400,
        "BadConvexFunctionIdentifier",
      );
      expect(message).toContain('"path"');
    }
  });

  it("answers an unknown format with 400 and names it, as Convex does", async () => {
    await using app = await serve();
    const message = requestError(
      await raw(app.url, "/api/query", {
        body: { path: "checks:journal", args: [{}], format: "xml" },
      }),
      400,
      "BadFormat",
    );
    expect(message).toBe("format param must be one of [`json`]. Got xml");
  });

  it("answers other methods with 405 and unknown routes with 404", async () => {
    await using app = await serve();
    const get = requestError(
      await raw(app.url, "/api/query", { method: "GET" }),
      405,
      "MethodNotAllowed",
    );
    expect(get).toContain("POST");
    requestError(
      await raw(app.url, "/api/mutation", { method: "PUT", body: "{}" }),
      405,
      "MethodNotAllowed",
    );
    const preflight = await raw(app.url, "/api/query", { method: "OPTIONS" });
    expect(preflight.status).toBe(204);
    requestError(await raw(app.url, "/api/nothing", { body: "{}" }), 404, "NotFound");
  });

  it("refuses a body over 20 MiB with 413, then keeps serving", async () => {
    await using app = await serve();
    const response = await postLarge(app.url, "/api/mutation", 21 * 1024 * 1024);
    expect(response.status, response.body).toBe(413);
    const body = JSON.parse(response.body) as { code: string; message: string };
    expect(body.code).toBe("PayloadTooLarge");
    expect(body.message).toMatch(/larger than/);
    expect(await step(app.client.query(fixture.checks.journal, {}))).toEqual([]);
  });

  it("refuses arguments that are not an object", async () => {
    await using app = await serve();
    // The legacy wrapper must hold exactly one argument object.
    requestError(
      await raw(app.url, "/api/mutation", {
        body: { path: "checks:typedArgs", args: [VALID, VALID], format: "convex_encoded_json" },
      }),
      400,
      "BadRequest",
    );
    // Anything else reaches the function as a failed call (HTTP 200, or 560 as Convex's cloud
    // backend answers function errors; both are what ConvexHttpClient reads as a function error).
    for (const args of [5, "text", [5], [null], [[1]], [{ $integer: "not base64!" }]]) {
      const response = await raw(app.url, "/api/mutation", {
        body: { path: "checks:typedArgs", args, format: "convex_encoded_json" },
      });
      expect([200, 560], response.text).toContain(response.status);
      expect(response.json?.["status"], response.text).toBe("error");
      expect(response.json?.["errorMessage"], response.text).toMatch(/ArgumentValidationError/);
    }
  });

  it("keeps serving after a burst of bad requests", async () => {
    await using app = await serve();
    const bad = [
      raw(app.url, "/api/query", { body: "{" }),
      raw(app.url, "/api/query", { body: "[]" }),
      raw(app.url, "/api/query", { method: "GET" }),
      raw(app.url, "/api/mutation", { body: { path: "nope:nope", args: [{}] } }),
      raw(app.url, "/api/query_at_ts", { body: { path: "checks:journal", args: [{}], ts: 1 } }),
      raw(app.url, "/api/function", { body: { path: "checks:journal", args: 7 } }),
    ];
    const responses = await step(Promise.all(bad), "the bad requests");
    for (const response of responses) {
      expect(response.status, response.text).toBeGreaterThanOrEqual(200);
      expect(response.status, response.text).toBeLessThan(500);
      expect(response.json, response.text).not.toBeNull();
    }
    expect(await step(app.client.mutation(anyMutation("checks:typedArgs"), VALID))).toBeNull();
    expect(await step(app.client.query(fixture.checks.journal, {}))).toEqual(["typedArgs ok"]);
  });
});
