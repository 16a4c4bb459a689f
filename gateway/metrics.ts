/**
 * The gateway's Prometheus metrics (`GET /metrics`, see ops_routes.ts), in a registry of its own
 * (never prom-client's global one), so that several gateways in one process stay apart.
 *
 * Only counts, durations and identity buckets (`anonymous` / `authenticated`) are exported:
 * never a token, a user, an operation's text or variables, or a result. Operation types
 * (`query`, `mutation`, `subscription`) are the only operation label.
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CollectFunction,
} from "prom-client";
import type { LiveObserver } from "./live/live_operation.ts";
import type { LiveRegistry } from "./live/registry.ts";
import type { UpstreamSessions } from "./upstream/sessions.ts";

/** What the gauges read when scraped. */
export interface GatewayMetricSources {
  readonly upstream: UpstreamSessions;
  readonly live: LiveRegistry;
  /** Open graphql-ws sockets. */
  readonly wsConnections: () => number;
}

/** The operation types a label may take (anything else is counted as `other`). */
export type OperationType = "query" | "mutation" | "subscription" | "other";

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Registers the gauges read from `sources` at scrape time (call once). */
  watch(sources: GatewayMetricSources): void;
  /** Fed to the live registry: live executions and fan-outs. */
  readonly live: LiveObserver;
  /** One GraphQL operation ran (not subscriptions' events) in `seconds`; `ok`: no errors. */
  operation(type: OperationType, seconds: number, ok: boolean): void;
  /** A graphql-ws socket was closed for not reading (see slow_consumer.ts). */
  slowConsumerClosed(): void;
  /** The text exposition format (what `/metrics` answers). */
  render(): Promise<string>;
  /** The content type of `render()`'s text. */
  readonly contentType: string;
}

const OPERATION_TYPES: readonly OperationType[] = ["query", "mutation", "subscription", "other"];

/** Buckets for durations from 1 ms to 10 s. */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A gauge whose value is read at scrape time. */
function gauge(registry: Registry, name: string, help: string, read: () => number): void {
  const collect: CollectFunction<Gauge> = function (this: Gauge) {
    this.set(read());
  };
  new Gauge({ name, help, registers: [registry], collect });
}

/** A counter whose total is read at scrape time. */
function counter(registry: Registry, name: string, help: string, read: () => number): void {
  const collect: CollectFunction<Counter> = function (this: Counter) {
    this.reset();
    this.inc(read());
  };
  new Counter({ name, help, registers: [registry], collect });
}

/** The gauges over the upstream sessions, the live registry and the sockets. */
function registerGauges(registry: Registry, sources: GatewayMetricSources): void {
  const { upstream, live } = sources;
  gauge(registry, "gateway_live_operations", "Distinct live operations running.", () => live.size);
  gauge(
    registry,
    "gateway_live_subscribers",
    "Subscribers of live operations (graphql-ws and SSE subscriptions, @live queries).",
    () => live.subscriberCount,
  );
  gauge(
    registry,
    "gateway_graphql_ws_connections",
    "Open graphql-ws sockets.",
    sources.wsConnections,
  );
  gauge(
    registry,
    "gateway_warm_queries",
    "Upstream query subscriptions kept warm by recent reads.",
    () => upstream.warmCount,
  );
  gauge(
    registry,
    "gateway_warm_query_bytes",
    "Estimated bytes of the results of warm queries.",
    () => upstream.warmResultBytes,
  );
  counter(
    registry,
    "gateway_reused_results_total",
    "One-off queries answered with the kept result of an identical one whose reads had not changed.",
    () => upstream.reusedResults.hits,
  );
  gauge(
    registry,
    "gateway_reused_result_bytes",
    "Estimated bytes of one-off query results kept for identical repeats.",
    () => upstream.reusedResults.bytes,
  );
  const byIdentity = (name: string, help: string, field: "connections" | "subscriptions"): void => {
    const collect: CollectFunction<Gauge<"identity">> = function (this: Gauge<"identity">) {
      const stats = upstream.identityStats();
      this.set({ identity: "anonymous" }, stats.anonymous[field]);
      this.set({ identity: "authenticated" }, stats.authenticated[field]);
    };
    new Gauge({ name, help, labelNames: ["identity"], registers: [registry], collect });
  };
  byIdentity(
    "gateway_upstream_connections",
    "Open upstream Convex connections (one official client each), by identity bucket.",
    "connections",
  );
  byIdentity(
    "gateway_upstream_subscriptions",
    "Upstream Convex query subscriptions (warm ones included), by identity bucket.",
    "subscriptions",
  );
}

/**
 * Creates the gateway's registry: process metrics (prom-client's defaults) and the counters and
 * histograms the gateway feeds; `watch` adds the gauges.
 */
export function gatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operations = new Counter({
    name: "gateway_operations_total",
    help: "GraphQL operations executed, by type and outcome (subscriptions count once, at start).",
    labelNames: ["type", "outcome"],
    registers: [registry],
  });
  const operationSeconds = new Histogram({
    name: "gateway_operation_duration_seconds",
    help: "Execution time of GraphQL queries and mutations (subscriptions: until they start).",
    labelNames: ["type"],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  // Every series exists from the start (at 0), so rates work from the first scrape.
  for (const type of OPERATION_TYPES) {
    for (const outcome of ["ok", "error"]) operations.inc({ type, outcome }, 0);
    operationSeconds.zero({ type });
  }
  const liveSeconds = new Histogram({
    name: "gateway_live_execution_duration_seconds",
    help: "Execution time of one run of a live operation (first run or rerun).",
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const fanoutSeconds = new Histogram({
    name: "gateway_fanout_duration_seconds",
    help: "From an upstream update's arrival to its new result handed to the last subscriber.",
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const fanoutSubscribers = new Counter({
    name: "gateway_fanout_deliveries_total",
    help: "Results handed to subscribers by fan-outs.",
    registers: [registry],
  });
  const slowConsumers = new Counter({
    name: "gateway_slow_consumer_closes_total",
    help: "graphql-ws sockets closed because their send buffer passed the limit (code 4008).",
    registers: [registry],
  });
  return {
    registry,
    watch: (sources) => registerGauges(registry, sources),
    contentType: registry.contentType,
    live: {
      execution: (seconds) => liveSeconds.observe(seconds),
      fanout: (seconds, subscribers) => {
        fanoutSeconds.observe(seconds);
        fanoutSubscribers.inc(subscribers);
      },
    },
    operation(type, seconds, ok) {
      operations.inc({ type, outcome: ok ? "ok" : "error" });
      operationSeconds.observe({ type }, seconds);
    },
    slowConsumerClosed: () => slowConsumers.inc(),
    render: () => registry.metrics(),
  };
}
