// GET /metrics: the health figures in Prometheus text format (prom-client),
// on a registry of its own (an app may keep its own default registry).
// Database figures are read once per scrape; when the database is down,
// bollalabz_db_up and pg_up are 0 and the database gauges are left out.
// Query latency is a real Prometheus histogram (bollalabz_db_query_duration_seconds
// _bucket/_sum/_count): unlike per-process quantiles, histograms from several
// app instances add up (histogram_quantile over sum by (le)).
import type { FastifyPluginAsync } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { cacheHitRatio, databaseSizeBytes } from "../checks/database-health.ts";
import { findInvalidIndexes } from "../checks/index-health.ts";
import type { Database } from "../pool/create-database.ts";
import { requireBearer, type SignInThrottle } from "../base/bearer-token.ts";
import { registerPostgresExporterMetrics } from "./postgres-exporter-metrics.ts";

/**
 * Histogram buckets in seconds: 0.5 ms (a cached primary-key read) to 10 s
 * (the statement timeout), dense around the slow-query thresholds (100/500 ms).
 */
export const QUERY_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
import { replicationMetrics } from "./replication.ts";

export interface MetricsPluginOptions {
  readonly database: Database;
  readonly token?: string;
  readonly tokenThrottle?: SignInThrottle;
  /** Default 2000 ms. */
  readonly pingTimeoutMs?: number;
  /** Add Node process metrics (CPU, memory, event loop). Default true. */
  readonly processMetrics?: boolean;
}

export function buildMetricsRegistry(database: Database, options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  // Counts only go up, except when the pool's stats are reset (POST
  // /health/reset) or the app restarts: Prometheus treats a drop as a counter
  // reset, so rate() stays right. Hence counters (TYPE counter, names in
  // _total), set from the pool's counts at each scrape.
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  const c = {
    queries: counter("bollalabz_db_queries_total", "Queries run through the pool since the stats were reset"),
    slow: counter("bollalabz_db_slow_queries_total", "Queries over SLOW_QUERY_MS (and not over VERY_SLOW_QUERY_MS)"),
    verySlow: counter("bollalabz_db_very_slow_queries_total", "Queries over VERY_SLOW_QUERY_MS"),
    errors: counter("bollalabz_db_query_errors_total", "Failed queries by SQLSTATE or client code", ["code"]),
  };
  const g = {
    up: gauge("bollalabz_db_up", "1 when the database answered SELECT 1 within the ping deadline"),
    ping: gauge("bollalabz_db_ping_seconds", "Round trip of the SELECT 1 probe"),
    mean: gauge("bollalabz_db_query_duration_mean_seconds", "Mean query duration since the stats were reset"),
    pool: gauge("bollalabz_db_pool_connections", "Pool connections by state (waiting = queries queued for a connection)", ["state"]),
    poolMax: gauge("bollalabz_db_pool_max", "POOL_MAX"),
    size: gauge("bollalabz_db_size_bytes", "pg_database_size of the current database"),
    cache: gauge("bollalabz_db_cache_hit_ratio", "Shared-buffer hit ratio of user tables and indexes", ["kind"]),
    invalid: gauge("bollalabz_db_invalid_indexes", "Indexes left INVALID (e.g. by a failed concurrent build)"),
  };

  const duration = new Histogram({
    name: "bollalabz_db_query_duration_seconds",
    help: "Duration of the queries run through the pool, failed ones included (from send to result; failures by code: bollalabz_db_query_errors_total)",
    buckets: QUERY_DURATION_BUCKETS,
    registers: [registry],
  });
  const unsubscribe = database.onQueryDuration((ms) => duration.observe(ms / 1000));
  const exporter = registerPostgresExporterMetrics(registry);
  const replication = replicationMetrics(registry, database);

  async function refresh(pingTimeoutMs: number): Promise<void> {
    const stats = database.getQueryStats();
    for (const m of Object.values(c)) m.reset();
    c.queries.inc(stats.totalQueries);
    c.slow.inc(stats.slowQueries);
    c.verySlow.inc(stats.verySlowQueries);
    for (const [code, n] of Object.entries(stats.errorsByCode)) c.errors.inc({ code }, n);
    g.mean.reset();
    if (stats.meanDurationMs !== null) g.mean.set(stats.meanDurationMs / 1000);
    const pool = database.poolStats();
    for (const state of ["open", "busy", "idle", "waiting"] as const) g.pool.set({ state }, pool[state]);
    g.poolMax.set(pool.max);

    const ping = await database.ping(pingTimeoutMs);
    g.up.set(ping.ok ? 1 : 0);
    g.ping.set(ping.latencyMs / 1000);
    for (const m of [g.size, g.cache, g.invalid]) m.reset();
    await exporter.refresh(database.sql, ping.ok);
    replication.reset();
    if (!ping.ok) return;
    try {
      const [size, cache, invalid] = await Promise.all([databaseSizeBytes(database.sql), cacheHitRatio(database.sql), findInvalidIndexes(database.sql)]);
      g.size.set(size);
      if (cache.tables !== null) g.cache.set({ kind: "tables" }, cache.tables);
      if (cache.indexes !== null) g.cache.set({ kind: "indexes" }, cache.indexes);
      g.invalid.set(invalid.length);
      await replication.refresh();
    } catch {
      g.up.set(0);
    }
  }

  /** Stop feeding the histogram (the app closed). */
  const close = () => void unsubscribe();
  return { registry, refresh, close };
}

export const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, options) => {
  const { registry, refresh, close } = buildMetricsRegistry(options.database, { processMetrics: options.processMetrics });
  app.addHook("onClose", async () => close());
  app.get("/metrics", { onRequest: requireBearer(options.token, options.tokenThrottle) }, async (_request, reply) => {
    await refresh(options.pingTimeoutMs ?? 2_000);
    return reply.header("content-type", registry.contentType).send(await registry.metrics());
  });
};
