/**
 * The gateway's readiness (`GET /readyz`): ready when the GraphQL schema is loaded, the Convex
 * deployment answers, and the gateway is not shutting down. Liveness (`GET /healthz`) needs no
 * check: answering it is the proof that the process is up.
 *
 * The upstream check is one `POST /api/query_ts` (what the official `ConvexHttpClient` sends for a
 * consistent read; every Convex deployment answers it), bounded by `probeTimeoutMs`: during a
 * backend outage `/readyz` answers 503 within that bound.
 */
import { isSchema, type GraphQLSchema } from "graphql";
import type { Check, Readiness } from "../lib/ops_routes.ts";

export type { Check, Readiness } from "../lib/ops_routes.ts";

export interface ReadinessSources {
  /** The schema served now (may throw while it cannot be derived). */
  readonly schema: () => GraphQLSchema;
  /** Resolves when the Convex deployment answers (rejects otherwise). */
  readonly probe: () => Promise<unknown>;
  /** True once shutdown started. */
  readonly closing: () => boolean;
}

function schemaCheck(schema: () => GraphQLSchema): Check {
  try {
    return isSchema(schema()) ? { ok: true } : { ok: false, detail: "no schema" };
  } catch (error) {
    return { ok: false, detail: `the schema is not loaded: ${(error as Error).message}` };
  }
}

/** Runs the readiness checks (the upstream probe is bounded by the probe's own timeout). */
export async function gatewayReadiness(sources: ReadinessSources): Promise<Readiness> {
  const schema = schemaCheck(sources.schema);
  let upstream: Check;
  try {
    await sources.probe();
    upstream = { ok: true };
  } catch (error) {
    upstream = {
      ok: false,
      detail: `the Convex deployment did not answer: ${(error as Error).message}`,
    };
  }
  const shutdown: Check = sources.closing() ? { ok: false, detail: "shutting down" } : { ok: true };
  return { ready: schema.ok && upstream.ok && shutdown.ok, checks: { schema, upstream, shutdown } };
}
