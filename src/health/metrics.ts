// GET /metrics: the health figures in Prometheus text format (prom-client),
// on a registry of its own (an app may keep its own default registry).
// Database figures are read once per scrape; when the database is down,
// bollalabz_db_up is 0 and the database gauges are left out.
import type { FastifyPluginAsync } from "fastify";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { cacheHitRatio, databaseSizeBytes } from "../checks/database-health.ts";
import { findInvalidIndexes } from "../checks/index-health.ts";
import type { Database } from "../pool/create-database.ts";
import { requireBearer } from "./auth.ts";

export interface MetricsPluginOptions {
  readonly database: Database;
  readonly token?: string;
  /** Default 2000 ms. */
  readonly pingTimeoutMs?: number;
  /** Add Node process metrics (CPU, memory, event loop). Default true. */
  readonly processMetrics?: boolean;
}

export function buildMetricsRegistry(database: Database, options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const g = {
    up: gauge("bollalabz_db_up", "1 when the database answered SELECT 1 within the ping deadline"),
    ping: gauge("bollalabz_db_ping_seconds", "Round trip of the SELECT 1 probe"),
    queries: gauge("bollalabz_db_queries_total", "Queries run through the pool since the stats were reset"),
    slow: gauge("bollalabz_db_slow_queries_total", "Queries over SLOW_QUERY_MS (and not over VERY_SLOW_QUERY_MS)"),
    verySlow: gauge("bollalabz_db_very_slow_queries_total", "Queries over VERY_SLOW_QUERY_MS"),
    errors: gauge("bollalabz_db_query_errors_total", "Failed queries by SQLSTATE or client code", ["code"]),
    mean: gauge("bollalabz_db_query_duration_mean_seconds", "Mean query duration"),
    quantile: gauge("bollalabz_db_query_duration_seconds", "Query duration percentiles (5% bucket precision)", ["quantile"]),
    pool: gauge("bollalabz_db_pool_connections", "Pool connections by state (waiting = queries queued for a connection)", ["state"]),
    poolMax: gauge("bollalabz_db_pool_max", "POOL_MAX"),
    size: gauge("bollalabz_db_size_bytes", "pg_database_size of the current database"),
    cache: gauge("bollalabz_db_cache_hit_ratio", "Shared-buffer hit ratio of user tables and indexes", ["kind"]),
    invalid: gauge("bollalabz_db_invalid_indexes", "Indexes left INVALID (e.g. by a failed concurrent build)"),
  };

  async function refresh(pingTimeoutMs: number): Promise<void> {
    const stats = database.getQueryStats();
    g.queries.set(stats.totalQueries);
    g.slow.set(stats.slowQueries);
    g.verySlow.set(stats.verySlowQueries);
    g.errors.reset();
    for (const [code, n] of Object.entries(stats.errorsByCode)) g.errors.set({ code }, n);
    g.quantile.reset();
    g.mean.reset();
    if (stats.meanDurationMs !== null) g.mean.set(stats.meanDurationMs / 1000);
    for (const [q, v] of [["0.5", stats.p50Ms], ["0.95", stats.p95Ms], ["0.99", stats.p99Ms]] as const) if (v !== null) g.quantile.set({ quantile: q }, v / 1000);
    const pool = database.poolStats();
    for (const state of ["open", "busy", "idle", "waiting"] as const) g.pool.set({ state }, pool[state]);
    g.poolMax.set(pool.max);

    const ping = await database.ping(pingTimeoutMs);
    g.up.set(ping.ok ? 1 : 0);
    g.ping.set(ping.latencyMs / 1000);
    for (const m of [g.size, g.cache, g.invalid]) m.reset();
    if (!ping.ok) return;
    try {
      const [size, cache, invalid] = await Promise.all([databaseSizeBytes(database.sql), cacheHitRatio(database.sql), findInvalidIndexes(database.sql)]);
      g.size.set(size);
      if (cache.tables !== null) g.cache.set({ kind: "tables" }, cache.tables);
      if (cache.indexes !== null) g.cache.set({ kind: "indexes" }, cache.indexes);
      g.invalid.set(invalid.length);
    } catch {
      g.up.set(0);
    }
  }

  return { registry, refresh };
}

export const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, options) => {
  const { registry, refresh } = buildMetricsRegistry(options.database, { processMetrics: options.processMetrics });
  app.get("/metrics", { onRequest: requireBearer(options.token) }, async (_request, reply) => {
    await refresh(options.pingTimeoutMs ?? 2_000);
    return reply.header("content-type", registry.contentType).send(await registry.metrics());
  });
};
