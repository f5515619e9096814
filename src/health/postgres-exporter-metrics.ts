// Database metrics under postgres_exporter's names and labels, so dashboards
// and alerts written for it (prometheus-community/postgres_exporter, its
// built-in pg_stat_database and pg_stat_activity maps) work unchanged:
//   pg_up                                  gauge, 1 when the database answered
//   pg_stat_database_<column>{datid,datname}  counters (numbackends: gauge)
//   pg_stat_activity_count{datname,state}     gauge, every state listed even at 0
//   pg_stat_activity_max_tx_duration{datname,state}  gauge, seconds
// postgres_exporter emits counters without the _total suffix; so do we.
// One catalog read per scrape; when the database is down only pg_up (0) is left.
import { Counter, Gauge, type Registry } from "prom-client";
import type { Sql } from "../db/index.ts";

/** pg_stat_database columns exported as counters, with postgres_exporter's help texts (abridged). */
const DATABASE_COUNTERS: Record<string, string> = {
  xact_commit: "Number of transactions in this database that have been committed",
  xact_rollback: "Number of transactions in this database that have been rolled back",
  blks_read: "Number of disk blocks read in this database",
  blks_hit: "Number of times disk blocks were found already in the buffer cache, so that a read was not necessary",
  tup_returned: "Number of rows returned by queries in this database",
  tup_fetched: "Number of rows fetched by queries in this database",
  tup_inserted: "Number of rows inserted by queries in this database",
  tup_updated: "Number of rows updated by queries in this database",
  tup_deleted: "Number of rows deleted by queries in this database",
  conflicts: "Number of queries canceled due to conflicts with recovery in this database",
  temp_files: "Number of temporary files created by queries in this database",
  temp_bytes: "Total amount of data written to temporary files by queries in this database",
  deadlocks: "Number of deadlocks detected in this database",
  blk_read_time: "Time spent reading data file blocks by backends in this database, in milliseconds",
  blk_write_time: "Time spent writing data file blocks by backends in this database, in milliseconds",
};

/** The states postgres_exporter always lists (a series at 0 beats a missing series in alerts). */
export const ACTIVITY_STATES = ["active", "idle", "idle in transaction", "idle in transaction (aborted)", "fastpath function call", "disabled"] as const;

export interface PostgresExporterMetrics {
  /** Read the views and set every metric; sets pg_up 0 (and clears the rest) when the database does not answer. */
  refresh(sql: Sql, reachable: boolean): Promise<void>;
}

export function registerPostgresExporterMetrics(registry: Registry): PostgresExporterMetrics {
  const up = new Gauge({ name: "pg_up", help: "Whether the last scrape of metrics from PostgreSQL was able to connect to the server (1 for yes, 0 for no).", registers: [registry] });
  const numbackends = new Gauge({ name: "pg_stat_database_numbackends", help: "Number of backends currently connected to this database.", labelNames: ["datid", "datname"], registers: [registry] });
  const counters = Object.fromEntries(
    Object.entries(DATABASE_COUNTERS).map(([column, help]) => [column, new Counter({ name: `pg_stat_database_${column}`, help, labelNames: ["datid", "datname"], registers: [registry] })]),
  );
  const activityCount = new Gauge({ name: "pg_stat_activity_count", help: "number of connections in this state", labelNames: ["datname", "state"], registers: [registry] });
  const maxTx = new Gauge({ name: "pg_stat_activity_max_tx_duration", help: "max duration in seconds any active transaction has been running", labelNames: ["datname", "state"], registers: [registry] });
  const all = [numbackends, ...Object.values(counters), activityCount, maxTx];

  async function refresh(sql: Sql, reachable: boolean): Promise<void> {
    for (const m of all) m.reset();
    up.set(reachable ? 1 : 0);
    if (!reachable) return;
    try {
      const columns = Object.keys(DATABASE_COUNTERS);
      const [databases, activity] = await Promise.all([
        sql.unsafe<Record<string, number | string | null>[]>(
          `SELECT datid::text AS datid, datname, numbackends::float8, ${columns.map((c) => `${c}::float8 AS ${c}`).join(", ")} FROM pg_stat_database WHERE datname IS NOT NULL`,
        ),
        sql<{ datname: string; state: string; count: number; maxTxDuration: number }[]>`
          SELECT d.datname, s.state, coalesce(a.count, 0)::int AS count, coalesce(a.max_tx_duration, 0)::float8 AS "maxTxDuration"
          FROM pg_database d
          CROSS JOIN unnest(${ACTIVITY_STATES as unknown as string[]}::text[]) AS s(state)
          LEFT JOIN (
            SELECT datname, state, count(*) AS count, max(extract(epoch FROM now() - xact_start))::float8 AS max_tx_duration
            FROM pg_stat_activity GROUP BY datname, state
          ) a ON a.datname = d.datname AND a.state = s.state
          WHERE d.datallowconn AND NOT d.datistemplate`,
      ]);
      for (const row of databases) {
        const labels = { datid: String(row.datid), datname: String(row.datname) };
        numbackends.set(labels, Number(row.numbackends));
        for (const column of columns) if (row[column] !== null) counters[column]!.inc(labels, Number(row[column]));
      }
      for (const row of activity) {
        activityCount.set({ datname: row.datname, state: row.state }, row.count);
        maxTx.set({ datname: row.datname, state: row.state }, row.maxTxDuration);
      }
    } catch {
      for (const m of all) m.reset();
      up.set(0);
    }
  }
  return { refresh };
}
