/**
 * The Apollo migration example in a real headless Chromium (Debian's, driven by
 * `playwright-core`): the app built by Vite and served beside the gateway, Convex and the merged
 * legacy API, as `npm run example` serves it.
 * - Two pages: an order placed on the menu page (legacy menu, Convex mutation) appears on the
 *   kitchen page without a reload, with subscriptions over Apollo's multipart HTTP and over
 *   graphql-ws; the kitchen advances it.
 * - GraphiQL opens with the example's starting document, runs the subscription, and shows the
 *   result change after an order placed in another tab.
 * Screenshots are kept in test-results/apollo-migration/. Without Chromium the suite is skipped,
 * loudly.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "../utils/backend.ts";
import {
  buildApp,
  GRAPHIQL_DOCUMENT,
  startExample,
  type Example,
} from "../../examples/apollo-migration/serve.ts";
import { within } from "../utils/waits.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n⚠ SKIPPED: the Apollo migration browser tests need ${CHROMIUM} ` +
      "(apt-get install -y --no-install-recommends chromium).\n",
  );
}

/** Bound for the page's own work (rendering, a result arriving). */
const PAGE_MS = 20_000;
/** Chromium's first start with a fresh profile took over 20 s once in CI (2 busy cores). */
const LAUNCH_MS = 60_000;
const ARTIFACTS = path.join(REPO_ROOT, "test-results/apollo-migration");

let example: Example;
let data: { path: string } & AsyncDisposable;
let profile: { path: string } & AsyncDisposable;
let browser: BrowserContext;

async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const png = fs.readFileSync(file);
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
}

/** Opens the app on `screen` with `transport`; resolves once the screen rendered. */
async function openApp(screen: "kitchen" | "menu", transport: "multipart" | "ws"): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${example.appUrl}?screen=${screen}&transport=${transport}`, {
    timeout: PAGE_MS,
  });
  const ready = screen === "kitchen" ? "h2:has-text('active orders')" : "[data-testid=table]";
  await page.waitForSelector(ready, { timeout: PAGE_MS });
  return page;
}

/** Orders `dish` for `table` from the menu page (the legacy menu, a Convex mutation). */
async function order(menu: Page, dish: string, table: number): Promise<void> {
  await menu.selectOption("[data-testid=table]", String(table));
  await menu.click(`[data-testid=order-${dish}]`);
  await menu.waitForSelector(`[data-testid=placed]:has-text("${dish} for table ${table}")`, {
    timeout: PAGE_MS,
  });
}

describe.skipIf(!hasChromium)("the Apollo migration example in Chromium", () => {
  beforeAll(async () => {
    await within(buildApp(), 120_000, "vite to build the app");
    data = tempDir("convex-graphql-example-");
    example = await startExample({
      appPort: 0,
      gatewayPort: 0,
      backendPort: 0,
      sitePort: 0,
      legacyPort: 0,
      dataFile: path.join(data.path, "data.sqlite3"),
    });
    profile = tempDir("convex-graphql-chromium-");
    browser = await within(
      chromium.launchPersistentContext(profile.path, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1000, height: 700 },
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
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await profile?.[Symbol.asyncDispose]();
    await example?.close();
    await data?.[Symbol.asyncDispose]();
  });

  for (const [transport, dish, table] of [
    ["multipart", "gyoza", 3],
    ["ws", "mochi", 4],
  ] as const) {
    it(`shows an order placed in another page live, over ${transport}`, async () => {
      const kitchen = await openApp("kitchen", transport);
      // A mark that a reload would wipe.
      await kitchen.evaluate(() => Object.assign(window, { notReloaded: true }));
      const menu = await openApp("menu", transport);
      try {
        await order(menu, dish, table);
        const row = kitchen.locator(`[data-testid=order]:has-text("${dish}")`);
        await row.waitFor({ timeout: PAGE_MS });
        expect(await row.innerText()).toContain(`for table ${table}`);
        expect(await kitchen.evaluate(() => "notReloaded" in window)).toBe(true);

        // The kitchen advances it; its own subscription shows the new status.
        await row.locator("button:has-text('mark preparing')").click();
        await kitchen
          .locator(`[data-testid=order][data-status=preparing]:has-text("${dish}")`)
          .waitFor({ timeout: PAGE_MS });
        await screenshot(kitchen, `kitchen-${transport}`);
        await screenshot(menu, `menu-${transport}`);
      } finally {
        await menu.close();
        await kitchen.close();
      }
    });
  }

  it("subscribes over the transport it was given", async () => {
    const multipart: string[] = [];
    const page = await browser.newPage();
    page.on("request", (request) => {
      if (/subscriptionSpec=1\.0/.test(request.headers()["accept"] ?? ""))
        multipart.push(request.url());
    });
    const sockets: string[] = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    try {
      await page.goto(`${example.appUrl}?transport=multipart`, { timeout: PAGE_MS });
      await page.waitForSelector("h2:has-text('active orders')", { timeout: PAGE_MS });
      expect(multipart).toEqual([example.gatewayUrl]);
      expect(sockets).toEqual([]);
      await page.goto(`${example.appUrl}?transport=ws`, { timeout: PAGE_MS });
      await page.waitForSelector("h2:has-text('active orders')", { timeout: PAGE_MS });
      expect(sockets).toEqual([example.gatewayUrl.replace(/^http/, "ws")]);
    } finally {
      await page.close();
    }
  });

  it("runs GraphiQL's starting subscription and shows it change after an order", async () => {
    const graphiql = await browser.newPage();
    try {
      await graphiql.goto(example.gatewayUrl, { timeout: PAGE_MS });
      await graphiql.waitForSelector(".graphiql-query-editor .monaco-editor", {
        timeout: PAGE_MS,
      });
      const editor = (await graphiql.locator(".graphiql-query-editor").innerText()).replace(
        /\u00a0/g,
        " ",
      );
      expect(editor).toContain("subscription ActiveOrders");
      expect(GRAPHIQL_DOCUMENT).toContain("subscription ActiveOrders");
      await graphiql.click(".graphiql-execute-button");
      const response = graphiql.locator(".graphiql-response");
      await expect
        .poll(async () => (await response.innerText()).replace(/\s+/g, ""), { timeout: PAGE_MS })
        .toContain('"ordersGetActiveOrders":[');
      expect(await response.innerText()).not.toContain("udon");

      const menu = await openApp("menu", "multipart");
      try {
        await order(menu, "udon", 2);
      } finally {
        await menu.close();
      }
      await expect
        .poll(async () => (await response.innerText()).replace(/\s+/g, ""), { timeout: PAGE_MS })
        .toContain('"dish":"udon","table":2');
      await screenshot(graphiql, "graphiql");
    } finally {
      await graphiql.close();
    }
  });
});
