// The tables' observed write rates, as deltas: pg_stat_user_tables counts
// every insert and update since the statistics were reset, bulk loads (the
// seed) and earlier advise runs' rolled-back writes included, so a rate taken
// from its totals is inflated. Advise stores the counters in the monitor
// schema at the end of each run (after its own writes, so they are not
// counted again) and the next run takes its rates from the difference:
// "inserts per hour since the previous advise run". Without an earlier
// snapshot (the first run, a statistics reset, a table created since) the
// rate is unknown, and the report says so instead of printing a total.
import type { Sql } from "../db/index.ts";
import { MONITOR_SCHEMA, ensureMonitorSchema, monitorSchemaReady } from "../observe/monitor-schema.ts";

export type WriteRate =
  | {
      readonly known: true;
      readonly insertsPerHour: number;
      readonly updatesPerHour: number;
      /** When the earlier snapshot was taken (end of the previous advise run). */
      readonly since: string;
      readonly hours: number;
    }
  | { readonly known: false; readonly why: string };

interface Counters {
  readonly relid: number;
  readonly table: string;
  readonly ins: number;
  /** Non-HOT updates: the ones that maintain every index. */
  readonly upd: number;
  readonly hot: number;
  readonly statsReset: Date | null;
  readonly at: Date;
}

async function currentCounters(sql: Sql): Promise<Counters[]> {
  return sql<Counters[]>`
    SELECT s.relid::int8::float8 AS relid, s.relname AS table, s.n_tup_ins::float8 AS ins, s.n_tup_upd::float8 AS upd, s.n_tup_hot_upd::float8 AS hot,
           (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()) AS "statsReset", now() AS at
    FROM pg_stat_user_tables s WHERE s.schemaname = current_schema() /* bollalabz-db */`;
}

async function storedCounters(sql: Sql): Promise<Map<number, Counters>> {
  if (!(await monitorSchemaReady(sql))) return new Map();
  const S = sql(MONITOR_SCHEMA);
  const rows = await sql<Counters[]>`
    SELECT relid::int8::float8 AS relid, table_name AS table, n_tup_ins::float8 AS ins, (n_tup_upd - n_tup_hot_upd)::float8 AS upd, n_tup_hot_upd::float8 AS hot,
           stats_reset AS "statsReset", taken_at AS at
    FROM ${S}.table_write_counters /* bollalabz-db */`;
  return new Map(rows.map((r) => [r.relid, r]));
}

const FIRST_RUN = "write rate unknown: no earlier advise snapshot of this table's write counters (the totals since the statistics reset count bulk loads too); run advise again later and it reports the rate since this run";

/** Write rates per table (by name) since the counters advise stored at the end of its previous run. */
export async function writeRatesSincePreviousRun(sql: Sql): Promise<Map<string, WriteRate>> {
  const now = await currentCounters(sql);
  const before = await storedCounters(sql).catch(() => new Map<number, Counters>());
  const out = new Map<string, WriteRate>();
  for (const c of now) {
    const p = before.get(c.relid);
    const cur = { ...c, upd: c.upd - c.hot };
    if (!p) out.set(c.table, { known: false, why: FIRST_RUN });
    else if ((p.statsReset?.getTime() ?? 0) !== (c.statsReset?.getTime() ?? 0) || cur.ins < p.ins || cur.upd < p.upd) {
      out.set(c.table, { known: false, why: `write rate unknown: the statistics were reset since the previous advise run (${p.at.toISOString()}); run advise again later` });
    } else {
      const hours = Math.max((c.at.getTime() - p.at.getTime()) / 3_600_000, 1 / 3600);
      out.set(c.table, { known: true, insertsPerHour: (cur.ins - p.ins) / hours, updatesPerHour: (cur.upd - p.upd) / hours, since: p.at.toISOString(), hours });
    }
  }
  return out;
}

/**
 * Store the tables' counters for the next run's deltas, after this run's own
 * (rolled-back) writes: their statistics are flushed first, so the next
 * window starts after them. Creates the monitor schema when missing; returns
 * why not when it cannot (a role without CREATE): the next run then says
 * "write rate unknown".
 */
export async function storeWriteCounters(sql: Sql): Promise<string | null> {
  try {
    // This session's pending table statistics (validation's rolled-back writes) reach shared memory when it next goes idle.
    await sql`SELECT pg_stat_force_next_flush() /* bollalabz-db */`;
    await ensureMonitorSchema(sql);
    const S = sql(MONITOR_SCHEMA);
    await sql`
      INSERT INTO ${S}.table_write_counters (relid, table_name, taken_at, stats_reset, n_tup_ins, n_tup_upd, n_tup_hot_upd)
      SELECT s.relid, s.relname, now(), (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()), s.n_tup_ins, s.n_tup_upd, s.n_tup_hot_upd
      FROM pg_stat_user_tables s WHERE s.schemaname = current_schema()
      ON CONFLICT (relid) DO UPDATE SET table_name = EXCLUDED.table_name, taken_at = EXCLUDED.taken_at, stats_reset = EXCLUDED.stats_reset,
        n_tup_ins = EXCLUDED.n_tup_ins, n_tup_upd = EXCLUDED.n_tup_upd, n_tup_hot_upd = EXCLUDED.n_tup_hot_upd /* bollalabz-db */`;
    return null;
  } catch (error) {
    return `the write counters could not be stored for the next run (${(error as Error).message})`;
  }
}

/** "412 inserts/h, 30 non-HOT updates/h since <time> (2.0 h)", or why unknown. */
export function describeWriteRate(table: string, rate: WriteRate): string {
  if (!rate.known) return `${table}: ${rate.why}`;
  const h = rate.hours < 1 ? `${Math.round(rate.hours * 60)} min` : `${rate.hours.toFixed(1)} h`;
  return `${table}: ${Math.round(rate.insertsPerHour).toLocaleString("en-US")} inserts/h, ${Math.round(rate.updatesPerHour).toLocaleString("en-US")} non-HOT updates/h since the previous advise run (${rate.since}, ${h} of statistics)`;
}
