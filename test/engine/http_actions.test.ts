/**
 * HTTP actions (`convex/http.ts`), with plain `fetch` against the site origin of a real backend
 * (site port 0) serving the storage fixture app. The stories: a webhook records with runMutation
 * and reads with runQuery; routes by exact path, by longest prefix and by method, HEAD as GET;
 * the Request as Convex builds it (URL on the site origin, headers, body) and a streamed
 * Response; ctx.storage from an HTTP action (the docs' upload-through-an-action and serving
 * patterns, CORS written by the app); ctx.auth with and without a token. The faults Convex
 * answers itself: no route (404 text), a handler that throws (500 with code and trace, plus data
 * for a ConvexError; the failure of a function it awaits: nested_failures.test.ts) or returns no
 * Response, an app with no http.ts, an oversize body; request lines `fetch`'s Request cannot
 * carry (TRACE, a Host that makes no URL, an absolute-form target).
 */
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenericId } from "convex/values";
import { httpClient, serve } from "../sync/support/clients.ts";
import { REPO_ROOT, tempDir, type TestBackend } from "../utils/backend.ts";
import { startChildBackend } from "./support/child_backend.ts";
import { startTestIssuer, type TestIssuer } from "../utils/jwt_issuer.ts";
import { STORAGE_APP_DIR, storageApp as app, request } from "./support/storage_app.ts";
import { step } from "../utils/waits.ts";
import { rawExchange } from "../utils/raw_tcp.ts";

let issuer: TestIssuer;
let backend: TestBackend;

beforeAll(async () => {
  issuer = await step(startTestIssuer(), "the test issuer to start");
  backend = await serve({ dir: STORAGE_APP_DIR, env: { TEST_JWT_ISSUER: issuer.url } });
});

afterAll(async () => {
  await backend[Symbol.asyncDispose]();
  await issuer[Symbol.asyncDispose]();
});

function site(route: string): string {
  return `${backend.siteUrl}${route}`;
}

describe("a webhook", () => {
  it("records each delivery with runMutation and answers with what runQuery reads", async () => {
    const before = await step(httpClient(backend.url).query(app.deliveries, {}), "deliveries");
    const answer = await request(site("/webhooks/delivery"), {
      method: "POST",
      headers: { "content-type": "application/json", "x-supplier": "greens-co" },
      body: JSON.stringify({ event: "delivered", amount: 12.5 }),
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(answer.json).toMatchObject({ count: before.length + 1 });
    const after = await step(httpClient(backend.url).query(app.deliveries, {}), "deliveries");
    expect(after.at(-1)).toMatchObject({ source: "greens-co", event: "delivered", amount: 12.5 });
  });

  it("lets the app answer a bad payload itself, writing nothing", async () => {
    const before = await step(httpClient(backend.url).query(app.deliveries, {}), "deliveries");
    const answer = await request(site("/webhooks/delivery"), {
      method: "POST",
      body: JSON.stringify({ event: 3 }),
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toBe("expected {event: string, amount: number}");
    const after = await step(httpClient(backend.url).query(app.deliveries, {}), "deliveries");
    expect(after).toHaveLength(before.length);
  });
});

describe("routing", () => {
  it("serves on the site origin, not the deployment origin", async () => {
    expect(backend.siteUrl).not.toBe(backend.url);
    const hello = await request(site("/hello"));
    expect(hello.status).toBe(200);
    expect(hello.text).toBe("hello");
    expect(hello.headers.get("x-greeting")).toBe("hi");
    expect((await request(`${backend.url}/hello`)).status).toBe(404);
  });

  it("routes by exact path and method, answering Convex's 404 otherwise", async () => {
    const wrongMethod = await request(site("/hello"), { method: "POST", body: "x" });
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.text).toBe("No HttpAction routed for /hello");
    const unknown = await request(site("/nowhere?x=1"));
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe("No HttpAction routed for /nowhere");
    // An exact path does not match a longer one.
    expect((await request(site("/hello/"))).status).toBe(404);
  });

  it("answers HEAD with the GET route's head and no body", async () => {
    const head = await request(site("/hello"), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("x-greeting")).toBe("hi");
    expect(head.text).toBe("");
  });

  it("routes by path prefix, the longest prefix winning", async () => {
    const echo = await request(site("/echo/a/b?q=1"), {
      method: "PUT",
      headers: { "x-test": "yes" },
      body: "payload",
    });
    expect(echo.json).toEqual({
      method: "PUT",
      url: `${backend.siteUrl}/echo/a/b?q=1`,
      body: "payload",
      header: "yes",
      subject: null,
    });
    const deeper = await request(site("/echo/deeper/x"), { method: "PUT", body: "" });
    expect(deeper.text).toBe("the longest prefix wins");
    // The prefix itself matches; the path without its trailing slash does not.
    expect((await request(site("/echo/"), { method: "PUT", body: "" })).status).toBe(200);
    expect((await request(site("/echo"), { method: "PUT", body: "" })).status).toBe(404);
  });

  it("streams a Response body", async () => {
    const answer = await request(site("/stream"));
    expect(answer.text).toBe("one two three");
    expect(answer.headers.get("content-type")).toBe("text/plain");
  });
});

describe("ctx.auth in an HTTP action", () => {
  it("sees the identity of a valid bearer token, and none for a token that is not Convex's", async () => {
    const token = await step(issuer.token("user-7"), "a token");
    const signed = await request(site("/echo/me"), {
      method: "PUT",
      headers: { authorization: `Bearer ${token}` },
      body: "",
    });
    expect(signed.json).toMatchObject({ subject: "user-7" });
    // Convex lets a request through when its Authorization header is not Convex auth.
    for (const authorization of ["Bearer not-a-jwt", "Basic dXNlcjpwdw=="]) {
      const other = await request(site("/echo/me"), {
        method: "PUT",
        headers: { authorization },
        body: "",
      });
      expect(other.status).toBe(200);
      expect(other.json).toMatchObject({ subject: null });
    }
  });
});

describe("ctx.storage in an HTTP action (the docs' patterns)", () => {
  it("stores an uploaded body, serves it back, and answers CORS as the app writes it", async () => {
    const preflight = await request(site("/sendImage"), {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("POST");
    const image = Buffer.from([1, 2, 3, 4, 250]);
    const sent = await request(site("/sendImage?author=cy"), {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: new Uint8Array(image),
    });
    expect(sent.status).toBe(200);
    expect(sent.headers.get("access-control-allow-origin")).toBe("*");
    const storageId = sent.json?.["storageId"] as GenericId<"_storage">;
    const file = await step(httpClient(backend.url).query(app.getFile, { id: storageId }), "file");
    expect(file).toMatchObject({ size: 5, contentType: "image/jpeg" });
    const served = await request(site(`/getImage?storageId=${storageId}`));
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/jpeg");
    expect(served.bytes.equals(image)).toBe(true);
    await step(httpClient(backend.url).mutation(app.remove, { id: storageId }), "remove");
    const gone = await request(site(`/getImage?storageId=${storageId}`));
    expect(gone.status).toBe(404);
    expect(gone.text).toBe("Image not found");
  });
});

describe("failures", () => {
  it("answers a handler that throws with Convex's 500: the Uncaught line, and its frame in trace", async () => {
    const answer = await request(site("/boom"));
    expect(answer.status).toBe(500);
    expect(answer.json?.["code"]).toMatch(
      /^\[Request ID: [0-9a-f]{16}\] Server Error: Uncaught Error: the handler failed$/,
    );
    expect(answer.json?.["trace"]).toBe(
      "Uncaught Error: the handler failed\n    at <anonymous> (../convex/http.ts:120:11)",
    );
    expect(answer.json).not.toHaveProperty("data");
  });

  it("delivers a ConvexError's data", async () => {
    const answer = await request(site("/refuse"));
    expect(answer.status).toBe(500);
    expect(answer.json?.["data"]).toEqual({ code: "NOPE", retry: false });
    expect(answer.json?.["code"]).toMatch(
      /^\[Request ID: [0-9a-f]{16}\] Server Error: Uncaught ConvexError: {"code":"NOPE","retry":false}$/,
    );
    expect(answer.json?.["trace"]).toMatch(/^Uncaught ConvexError: /);
  });

  it("answers a handler that returns no Response with a 500", async () => {
    const answer = await request(site("/not-a-response"));
    expect(answer.status).toBe(500);
    expect(answer.json?.["trace"]).toContain("did not return a Response");
  });

  it("refuses a body over Convex's 20 MiB limit", async () => {
    const answer = await request(site("/webhooks/delivery"), {
      method: "POST",
      body: new Uint8Array(20 * 1024 * 1024 + 1),
    });
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ code: "PayloadTooLarge" });
  });

  it("answers every path of an app without http.ts as Convex does", async () => {
    await using plain = await serve({ dir: path.join(REPO_ROOT, "test", "fixtures", "env_app") });
    const answer = await request(`${plain.siteUrl}/anything`);
    expect(answer.status).toBe(404);
    expect(answer.text).toBe("This Convex deployment does not have HTTP actions enabled.");
  });
});

describe("request lines a fetch Request cannot carry", () => {
  const head = (line: string, host: string): string =>
    `${line}\r\nHost: ${host}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`;

  it("answers TRACE as any method no route names, not with a TypeError", async () => {
    const answer = await rawExchange(
      backend.siteUrl,
      head("TRACE /webhooks/delivery HTTP/1.1", "localhost"),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).toContain("No HttpAction routed for /webhooks/delivery");
  });

  it("answers a Host that makes no URL with a 400 naming it", async () => {
    const answer = await rawExchange(backend.siteUrl, head("PUT /echo/x HTTP/1.1", "[::zz"));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"code":"BadRequest"');
    expect(answer).toContain('Invalid request URL: \\"/echo/x\\" with Host \\"[::zz\\"');
    expect(answer).not.toContain("TypeError");
  });

  it("routes an absolute-form target by its own URL (RFC 9112), whatever Host says", async () => {
    const answer = await rawExchange(
      backend.siteUrl,
      head("PUT http://elsewhere/echo/x HTTP/1.1", "a b"),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"url":"http://elsewhere/echo/x"');
  });
});

describe("the status line", () => {
  const statusLine = async (route: string): Promise<string> => {
    const answer = await rawExchange(
      backend.siteUrl,
      `GET ${route} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
    );
    return answer.split("\r\n", 1)[0] ?? "";
  };

  // `new Response(null, { status })` has statusText "": the line still carries a reason phrase.
  it("carries the standard reason phrase of the Response's status", async () => {
    const cases = [
      ["/status?code=200", "HTTP/1.1 200 OK"],
      ["/status?code=201", "HTTP/1.1 201 Created"],
      ["/status?code=204", "HTTP/1.1 204 No Content"],
      ["/status?code=404", "HTTP/1.1 404 Not Found"],
      ["/status?code=503", "HTTP/1.1 503 Service Unavailable"],
      ["/hello", "HTTP/1.1 200 OK"],
      ["/nowhere", "HTTP/1.1 404 Not Found"],
    ] as const;
    for (const [route, line] of cases) expect(await statusLine(route), route).toBe(line);
  });

  // Convex sends a Response's status and headers only (HttpActionResponseHead): a statusText
  // of the app's own never reaches the client, which sees the standard phrase.
  it("carries the standard phrase for a Response with a statusText of its own, as Convex does", async () => {
    expect(await statusLine("/status?code=200&text=All%20Good")).toBe("HTTP/1.1 200 OK");
    const message = await step(
      new Promise<string | undefined>((resolve, reject) => {
        http
          .get(site("/status?code=409&text=Taken"), (res) => {
            res.resume();
            resolve(res.statusMessage);
          })
          .on("error", reject);
      }),
      "an answer to http.get",
    );
    expect(message).toBe("Conflict");
  });
});

describe("the backend command", () => {
  it("prints the site URL (--site-port 0) and serves HTTP actions there", async () => {
    await using folder = tempDir();
    await using child = await startChildBackend({
      dir: STORAGE_APP_DIR,
      dataFile: path.join(folder.path, "data.sqlite3"),
    });
    expect(child.siteUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(child.siteUrl).not.toBe(child.url);
    const hello = await request(`${child.siteUrl}/hello`);
    expect(hello.text).toBe("hello");
  });
});
