// Tables autovacuum should already have vacuumed, and the vacuums running now.
// "Overdue" uses autovacuum's own trigger formulas (PostgreSQL docs, "The
// Autovacuum Daemon"), with per-table reloptions taking precedence:
//   dead tuples     > autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor x reltuples
//   inserted tuples > autovacuum_vacuum_insert_threshold + autovacuum_vacuum_insert_scale_factor x reltuples (PG13+)
// A table past its threshold is normal for a moment (autovacuum wakes every
// autovacuum_naptime); past it by OVERDUE_FACTOR, or with autovacuum disabled,
// autovacuum is not keeping up.
import type { Sql } from "../db/index.ts";

/** Report a table when its dead (or inserted) tuples exceed this many times the trigger threshold. */
export const VACUUM_OVERDUE_FACTOR = 2;

export interface VacuumDue {
  readonly schema: string;
  readonly table: string;
  readonly liveTuples: number;
  readonly deadTuples: number;
  /** Rows inserted since the last vacuum (null before PG13). */
  readonly insertedSinceVacuum: number | null;
  /** The dead-tuple count at which autovacuum triggers for this table. */
  readonly deadThreshold: number;
  /** The insert count at which autovacuum triggers (null when disabled or before PG13). */
  readonly insertThreshold: number | null;
  /** deadTuples / deadThreshold. */
  readonly deadRatio: number;
  readonly insertRatio: number | null;
  readonly autovacuumEnabled: boolean;
  readonly lastVacuum: Date | null;
  readonly lastAutovacuum: Date | null;
}

/** Every user table with its autovacuum trigger figures, most overdue first. */
export async function vacuumThresholds(sql: Sql): Promise<VacuumDue[]> {
  return sql<VacuumDue[]>`
    WITH opts AS (
      SELECT c.oid,
             (SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_enabled') AS enabled,
             (SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_threshold') AS vt,
             (SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_scale_factor') AS vsf,
             (SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_insert_threshold') AS it,
             (SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_insert_scale_factor') AS isf,
             greatest(c.reltuples, 0) AS reltuples
      FROM pg_class c WHERE c.relkind IN ('r', 'm')
    ), t AS (
      SELECT s.schemaname AS schema, s.relname AS "table", s.n_live_tup AS "liveTuples", s.n_dead_tup AS "deadTuples",
             s.n_ins_since_vacuum AS "insertedSinceVacuum",
             round(coalesce(o.vt, current_setting('autovacuum_vacuum_threshold')::float8)
                   + coalesce(o.vsf, current_setting('autovacuum_vacuum_scale_factor')::float8) * o.reltuples)::bigint AS "deadThreshold",
             CASE WHEN coalesce(o.it, current_setting('autovacuum_vacuum_insert_threshold')::float8) < 0 THEN NULL
                  ELSE round(coalesce(o.it, current_setting('autovacuum_vacuum_insert_threshold')::float8)
                             + coalesce(o.isf, current_setting('autovacuum_vacuum_insert_scale_factor')::float8) * o.reltuples)::bigint END AS "insertThreshold",
             current_setting('autovacuum')::bool AND coalesce(o.enabled::bool, true) AS "autovacuumEnabled",
             s.last_vacuum AS "lastVacuum", s.last_autovacuum AS "lastAutovacuum"
      FROM pg_stat_user_tables s JOIN opts o ON o.oid = s.relid
    )
    SELECT *, round(("deadTuples" / greatest("deadThreshold", 1)::numeric), 3)::float8 AS "deadRatio",
           CASE WHEN "insertThreshold" IS NULL THEN NULL ELSE round(("insertedSinceVacuum" / greatest("insertThreshold", 1)::numeric), 3)::float8 END AS "insertRatio"
    FROM t
    ORDER BY greatest("deadTuples" / greatest("deadThreshold", 1)::numeric, coalesce("insertedSinceVacuum" / greatest("insertThreshold", 1)::numeric, 0)) DESC, schema, "table"`;
}

export interface OverdueTable extends VacuumDue {
  readonly reason: string;
}

/** Tables past VACUUM_OVERDUE_FACTOR x their trigger, or past it with autovacuum off for them. */
export function findOverdueVacuum(tables: readonly VacuumDue[], factor = VACUUM_OVERDUE_FACTOR): OverdueTable[] {
  return tables.flatMap((t) => {
    const limit = t.autovacuumEnabled ? factor : 1;
    const reasons: string[] = [];
    if (t.deadTuples > t.deadThreshold && t.deadRatio >= limit) reasons.push(`${t.deadTuples} dead tuples, ${t.deadRatio}x the autovacuum threshold of ${t.deadThreshold}`);
    if (t.insertRatio !== null && t.insertThreshold !== null && t.insertedSinceVacuum !== null && t.insertedSinceVacuum > t.insertThreshold && t.insertRatio >= limit) {
      reasons.push(`${t.insertedSinceVacuum} rows inserted since the last vacuum, ${t.insertRatio}x the insert threshold of ${t.insertThreshold}`);
    }
    if (reasons.length === 0) return [];
    if (!t.autovacuumEnabled) reasons.push("autovacuum is disabled for it");
    return [{ ...t, reason: reasons.join("; ") }];
  });
}

export interface VacuumProgress {
  readonly pid: number;
  readonly database: string;
  readonly table: string | null;
  readonly phase: string;
  /** true for an autovacuum worker, false for a manual VACUUM. */
  readonly automatic: boolean;
  /** Autovacuum started it to prevent wraparound (it will not yield to lock requests). */
  readonly toPreventWraparound: boolean;
  readonly heapBlocksTotal: number;
  readonly heapBlocksScanned: number;
  readonly heapBlocksVacuumed: number;
  readonly indexVacuumCount: number;
  /** heapBlocksScanned / heapBlocksTotal, 0..1. */
  readonly scannedFraction: number | null;
  readonly runningMs: number | null;
}

/** Vacuums running now on the server (pg_stat_progress_vacuum). */
export async function vacuumProgress(sql: Sql): Promise<VacuumProgress[]> {
  return sql<VacuumProgress[]>`
    SELECT p.pid, p.datname AS database,
           (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p.relid) AS "table",
           p.phase, a.backend_type = 'autovacuum worker' AS automatic,
           coalesce(a.query LIKE '%(to prevent wraparound)%', false) AS "toPreventWraparound",
           p.heap_blks_total AS "heapBlocksTotal", p.heap_blks_scanned AS "heapBlocksScanned", p.heap_blks_vacuumed AS "heapBlocksVacuumed",
           p.index_vacuum_count AS "indexVacuumCount",
           CASE WHEN p.heap_blks_total > 0 THEN round(p.heap_blks_scanned / p.heap_blks_total::numeric, 4)::float8 END AS "scannedFraction",
           round((extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::numeric, 1)::float8 AS "runningMs"
    FROM pg_stat_progress_vacuum p
    LEFT JOIN pg_stat_activity a ON a.pid = p.pid
    ORDER BY a.xact_start NULLS LAST, p.pid`;
}
