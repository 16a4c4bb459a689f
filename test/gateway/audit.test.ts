/**
 * The GraphQL-over-HTTP conformance audit of `graphql-http` (`auditServer`) against a live
 * gateway. A failing audit is listed verbatim (id, name, status, reason) in the assertion message.
 *
 * The gateway runs Yoga's CSRF prevention, which refuses a GET that carries neither a
 * non-simple content type nor a preflight header (`x-graphql-yoga-csrf`, `apollo-require-preflight`)
 * with 403. The audit's GETs carry none, so three MAY audits about GET come back as notices; with
 * the preflight header added to every audit request, every audit is `ok`.
 */
import "./support/single_graphql.ts";
import { auditServer, type AuditResult } from "graphql-http";
import { expect, it } from "vitest";
import { within } from "../utils/backend.ts";
import { useSharedServers } from "./support/gateway.ts";

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

it("passes every graphql-http server audit when requests carry a CSRF preflight header", async () => {
  const statuses: number[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    headers.set("x-graphql-yoga-csrf", "1");
    const response = await fetch(input, { ...init, headers });
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

it("without the header, only the three GET audits that CSRF prevention refuses are not ok", async () => {
  const results = await within(auditServer({ url: servers.gateway.url }), 20_000, "the audit");
  expect(notOk(results)).toEqual([
    {
      id: "5A70",
      name: "MAY accept application/x-www-form-urlencoded formatted GET requests",
      status: "notice",
      reason: "Response status code is not 200",
    },
    {
      id: "D6D5",
      name: "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/graphql-response+json",
      status: "notice",
      reason: "Response status code is not 200",
    },
    {
      id: "6A70",
      name: "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/json",
      status: "notice",
      reason: "Response status code is not 200",
    },
  ]);
});
