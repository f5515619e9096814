// Replication in the health API: GET <prefix>/health/replication (token-guarded)
// and the postgres_exporter-named gauges in /metrics. Read from the pool's
// server: on a primary one entry per physical slot (a stopped replica keeps
// its slot, so it shows up as inactive, with the WAL it holds back) joined
// with its WAL sender; on a standby, its own lag.
// pg_stat_replication's LSN and lag columns need pg_monitor (or
// pg_read_all_stats) for a non-superuser role; without it they read as null.
import type { FastifyPluginAsync } from "fastify";
import { Gauge, type Registry } from "prom-client";
import type { Database } from "../pool/create-database.ts";
import { replicationHealth } from "../replication/health.ts";
import { requireBearer, type SignInThrottle } from "../base/bearer-token.ts";
import { withDeadline } from "../base/deadline.ts";

export interface ReplicationRoutesOptions {
  readonly database: Database;
  readonly token?: string;
  readonly tokenThrottle?: SignInThrottle;
  /** Deadline of the figures (default 5000 ms), then 503. */
  readonly timeoutMs?: number;
}

/** GET /health/replication, registered by healthPlugin under its prefix. */
export const replicationRoutes: FastifyPluginAsync<ReplicationRoutesOptions> = async (app, options) => {
  app.get("/health/replication", { onRequest: requireBearer(options.token, options.tokenThrottle) }, async (_request, reply) => {
    try {
      const health = await withDeadline(replicationHealth(options.database.sql), options.timeoutMs ?? 5_000, "the replication figures");
      return reply.send({ ...health, timestamp: new Date().toISOString() });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return reply.code(503).send({ status: "unavailable", error: { code: String(e.code ?? "UNKNOWN"), message: e.message ?? String(error) } });
    }
  });
};

/**
 * The replication gauges, named as postgres_exporter names them:
 * pg_replication_lag_seconds, pg_replication_slots_active,
 * pg_replication_slots_pg_wal_lsn_diff, pg_stat_replication_pg_wal_lsn_diff.
 * On a primary, lag is per replica (labelled by slot and application name);
 * on a standby, its own lag with empty labels.
 */
export function replicationMetrics(registry: Registry, database: Database) {
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const lag = gauge("pg_replication_lag_seconds", "Replication lag in seconds (primary: pg_stat_replication.replay_lag per replica, 0 when caught up; standby: now() - last replayed commit)", ["slot_name", "application_name"]);
  const lagBytes = gauge("pg_stat_replication_pg_wal_lsn_diff", "WAL bytes a connected replica has not replayed yet (pg_current_wal_lsn() - replay_lsn)", ["slot_name", "application_name"]);
  const active = gauge("pg_replication_slots_active", "1 when a replica is connected to the replication slot", ["slot_name"]);
  const retained = gauge("pg_replication_slots_pg_wal_lsn_diff", "WAL bytes the replication slot holds back on the primary (pg_current_wal_lsn() - restart_lsn)", ["slot_name"]);
  const all = [lag, lagBytes, active, retained];
  return {
    reset() {
      for (const g of all) g.reset();
    },
    async refresh(): Promise<void> {
      const health = await replicationHealth(database.sql);
      for (const g of all) g.reset();
      if (health.standby) lag.set({ slot_name: "", application_name: "" }, health.standby.lagSeconds);
      for (const r of health.replicas) {
        const labels = { slot_name: r.slotName, application_name: r.applicationName ?? "" };
        if (r.lagSeconds !== null) lag.set(labels, r.lagSeconds);
        if (r.connected && r.lagBytes !== null) lagBytes.set(labels, r.lagBytes);
        if (r.slotName) {
          active.set({ slot_name: r.slotName }, r.slotActive ? 1 : 0);
          if (r.retainedBytes !== null) retained.set({ slot_name: r.slotName }, r.retainedBytes);
        }
      }
    },
  };
}
