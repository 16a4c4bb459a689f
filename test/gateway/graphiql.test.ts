/**
 * GraphiQL in a real headless Chromium (`playwright-core` driving the system's
 * `/usr/bin/chromium`): the gateway serves it to a browser at its GraphQL URL, fully offline (every
 * request the page makes goes to the gateway's origin, or to `blob:`/`data:` URLs it made
 * itself), and a subscription run from it shows its result and then the next one after a mutation.
 *
 * Without Chromium (CI installs it in `.ci/run` when it can) the suite is skipped, loudly.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBackend, tempDir, type TestBackend } from "../utils/backend.ts";
import { data, startTestGateway, type TestGateway } from "./support/gateway.ts";
import { within } from "../utils/waits.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n⚠ SKIPPED: GraphiQL browser tests need ${CHROMIUM} ` +
      "(apt-get install -y --no-install-recommends chromium).\n",
  );
}

/** Bound for the page's own work (loading 9 MB of inlined GraphiQL, rendering results). */
const PAGE_MS = 20_000;

/**
 * Bound for Chromium's first start with a fresh profile: it took over 20 s once in CI, with both
 * test workers busy on a 2-core machine.
 */
const LAUNCH_MS = 60_000;

const SUBSCRIPTION = 'subscription { countersGet(name: "graphiql") }';

let backend: TestBackend;
let gateway: TestGateway;
let profile: { path: string } & AsyncDisposable;
let browser: BrowserContext;
let page: Page;
/** Every URL the page requested (HTTP and WebSocket), and every HTTP failure it saw. */
const requested: string[] = [];
const failures: { status: number; url: string; body: string }[] = [];

describe.skipIf(!hasChromium)("GraphiQL in Chromium", () => {
  beforeAll(async () => {
    backend = await startTestBackend();
    gateway = await startTestGateway(backend.url);
    profile = tempDir("convex-graphql-chromium-");
    browser = await within(
      chromium.launchPersistentContext(profile.path, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      }),
      LAUNCH_MS,
      "Chromium to start",
    );
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("request", (req) => requested.push(req.url()));
    page.on("websocket", (socket) => requested.push(socket.url()));
    page.on("response", (response) => {
      if (response.status() < 400) return;
      void response.text().then(
        (body) => failures.push({ status: response.status(), url: response.url(), body }),
        () => failures.push({ status: response.status(), url: response.url(), body: "" }),
      );
    });
    // `?query=` pre-fills the editor.
    await page.goto(`${gateway.url}?query=${encodeURIComponent(SUBSCRIPTION)}`, {
      timeout: PAGE_MS,
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await profile?.[Symbol.asyncDispose]();
    await gateway?.close();
    await backend?.close();
  });

  it("renders GraphiQL with its editor, loading nothing from outside the gateway", async () => {
    await page.waitForSelector(".graphiql-container", { timeout: PAGE_MS });
    await page.waitForSelector(".graphiql-query-editor .monaco-editor", { timeout: PAGE_MS });
    expect(await page.title()).toBe("convex-graphql");
    // Monaco renders spaces as no-break spaces.
    const editorText = (await page.locator(".graphiql-query-editor").innerText()).replace(
      /\u00a0/g,
      " ",
    );
    expect(editorText).toContain(SUBSCRIPTION);
    const origin = new URL(gateway.url);
    const foreign = requested.filter((url) => {
      const parsed = new URL(url);
      if (parsed.protocol === "blob:" || parsed.protocol === "data:") {
        return !url.startsWith(`blob:${origin.origin}/`) && parsed.protocol !== "data:";
      }
      return parsed.host !== origin.host;
    });
    expect(requested.length).toBeGreaterThan(0);
    expect(foreign).toEqual([]);
  });

  it("runs a subscription and shows each new result", async () => {
    await page.waitForSelector(".graphiql-execute-button", { timeout: PAGE_MS });
    await page.click(".graphiql-execute-button");
    const response = page.locator(".graphiql-response");
    await expect
      .poll(async () => (await response.innerText()).replace(/\s+/g, ""), { timeout: PAGE_MS })
      .toContain('"countersGet":0');
    expect(gateway.upstream.subscriptionCount).toBe(1);
    // The subscription went over graphql-ws, to the gateway.
    expect(requested).toContain(gateway.url.replace(/^http/, "ws"));

    await data(gateway.url, 'mutation { countersIncrement(name: "graphiql") }');
    await expect
      .poll(async () => (await response.innerText()).replace(/\s+/g, ""), { timeout: PAGE_MS })
      .toContain('"countersGet":1');

    const file = path.join(profile.path, "graphiql.png");
    await page.screenshot({ path: file });
    const png = fs.readFileSync(file);
    expect(png.length).toBeGreaterThan(10_000);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  });

  // Regression test (this was a bug, found and fixed while writing these tests).
  it("loads the schema (its introspection query is not refused)", async () => {
    await page.waitForSelector(".graphiql-container", { timeout: PAGE_MS });
    expect(failures).toEqual([]);
  });
});
