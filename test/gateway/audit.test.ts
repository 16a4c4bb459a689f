/**
 * The GraphQL-over-HTTP conformance audit of `graphql-http` (`auditServer`) against a live
 * gateway. A failing audit is listed verbatim (id, name, status, reason) in the assertion message.
 *
 * By default the gateway runs no CSRF prevention (it takes no identity from cookies), so the
 * audit passes as is. With `csrfPrevention`, Yoga's plugin refuses a GET without a preflight
 * header (`x-graphql-yoga-csrf`, `apollo-require-preflight`); with the header added to every
 * audit request, every audit is `ok` there too.
 */
import { auditServer, type AuditResult } from "graphql-http";
import { expect, it } from "vitest";
import { startTestGateway, useSharedServers } from "./support/gateway.ts";
import { within } from "../utils/waits.ts";

const servers = useSharedServers({ gateway: { dev: false } });

function notOk(results: AuditResult[]) {
  return results
    .filter((result) => result.status !== "ok")
    .map((result) => ({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: "reason" in result ? result.reason : undefined,
    }));
}

it("passes every graphql-http server audit as is, with no extra headers", async () => {
  const statuses: number[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    statuses.push(response.status);
    return response;
  };
  const results = await within(
    auditServer({ url: servers.gateway.url, fetchFn }),
    20_000,
    "the audit",
  );
  expect(results.length).toBeGreaterThan(30);
  expect(notOk(results)).toEqual([]);
  expect(statuses).not.toContain(403);
});

it("with CSRF prevention on, passes every audit when requests carry a preflight header", async () => {
  await using csrf = await startTestGateway(servers.backend.url, {
    dev: false,
    csrfPrevention: true,
  });
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    headers.set("x-graphql-yoga-csrf", "1");
    return fetch(input, { ...init, headers });
  };
  const results = await within(auditServer({ url: csrf.url, fetchFn }), 20_000, "the audit");
  expect(notOk(results)).toEqual([]);
});
