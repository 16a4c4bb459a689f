/**
 * The backend's Prometheus metrics (`GET /metrics` on the deployment port), in a registry of its
 * own (never prom-client's global one), so that several backends in one process stay apart.
 * Everything is read from the engine's counters at scrape time; nothing names a user, a
 * document, a token or an argument: function kinds are the only label.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { Engine } from "../engine.ts";

export interface BackendMetrics {
  /** The text exposition format (what `/metrics` answers). */
  render(): Promise<string>;
  readonly contentType: string;
}

/** A counter whose total is read at scrape time from one of the engine's running counts. */
function counter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      this.inc(read());
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect(this: Gauge) {
      this.set(read());
    },
  });
}

/** The metrics of `engine`; `syncSessions` counts the open sync-protocol sessions. */
export function backendMetrics(engine: Engine, syncSessions: () => number): BackendMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { committer, executor, liveQueries } = engine;
  counter(
    registry,
    "backend_commits_total",
    "Transactions committed.",
    () => committer.stats.commits,
  );
  counter(
    registry,
    "backend_commit_batches_total",
    "SQLite transactions written (a batch holds the commits that arrived together).",
    () => committer.stats.batches,
  );
  counter(
    registry,
    "backend_occ_conflicts_total",
    "Commits refused by optimistic concurrency control (read set overwritten).",
    () => committer.stats.conflicts,
  );
  counter(
    registry,
    "backend_occ_retries_total",
    "Mutations run again after an OCC conflict.",
    () => executor.stats.mutationRetries,
  );
  new Counter({
    name: "backend_function_executions_total",
    help: "Function executions started, by kind (queries include live query reruns).",
    labelNames: ["kind"],
    registers: [registry],
    collect(this: Counter<"kind">) {
      this.reset();
      this.inc({ kind: "query" }, executor.stats.queries);
      this.inc({ kind: "mutation" }, executor.stats.mutations);
      this.inc({ kind: "action" }, executor.stats.actions);
    },
  });
  counter(
    registry,
    "backend_query_cache_hits_total",
    "Live query requests answered by a shared cached result or an execution in flight.",
    () => liveQueries.stats.cacheHits,
  );
  counter(
    registry,
    "backend_query_cache_misses_total",
    "Live query requests that started an execution.",
    () => liveQueries.stats.cacheMisses,
  );
  counter(
    registry,
    "backend_query_invalidations_total",
    "Live query results invalidated by commits.",
    () => liveQueries.stats.invalidations,
  );
  gauge(
    registry,
    "backend_live_queries",
    "Live query results held (shared by their watchers).",
    () => liveQueries.size,
  );
  gauge(
    registry,
    "backend_sync_sessions",
    "Open sync-protocol sessions (WebSocket clients).",
    syncSessions,
  );
  return { render: () => registry.metrics(), contentType: registry.contentType };
}
