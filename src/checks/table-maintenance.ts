// Per-table maintenance state from the cumulative statistics: planner
// statistics that are stale (many changes since the last ANALYZE, or none
// ever) and tables carrying many dead tuples (VACUUM behind).
import type { Sql } from "../db/index.ts";

/** A table "has many dead tuples" from this many on... */
export const DEAD_TUPLES_MIN = 1000;
/** ...when they are at least this share of all its tuples. */
export const DEAD_TUPLES_FRACTION = 0.2;

export interface TableStatistics {
  readonly table: string;
  readonly liveRows: number;
  readonly deadRows: number;
  readonly modifiedSinceAnalyze: number;
  readonly lastAnalyze: Date | null;
  readonly lastAutoanalyze: Date | null;
  readonly lastVacuum: Date | null;
  readonly lastAutovacuum: Date | null;
  /** pg_stats holds rows for the table (it was analyzed at some point, even before a stats reset). */
  readonly hasStatistics: boolean;
  /** Pages on disk (pg_class.relpages is only an estimate; this is the real size / block size). */
  readonly pages: number;
  /**
   * Statistics are stale past this many changed rows: autovacuum's own
   * formula, autovacuum_analyze_threshold + autovacuum_analyze_scale_factor x
   * reltuples, with the table's own settings where it has them.
   */
  readonly analyzeThreshold: number;
}

export async function tableStatistics(sql: Sql, schema = "public"): Promise<TableStatistics[]> {
  return sql<TableStatistics[]>`
    SELECT s.relname AS "table", s.n_live_tup AS "liveRows", s.n_dead_tup AS "deadRows",
           s.n_mod_since_analyze AS "modifiedSinceAnalyze",
           s.last_analyze AS "lastAnalyze", s.last_autoanalyze AS "lastAutoanalyze",
           s.last_vacuum AS "lastVacuum", s.last_autovacuum AS "lastAutovacuum",
           EXISTS (SELECT 1 FROM pg_stats p WHERE p.schemaname = s.schemaname AND p.tablename = s.relname) AS "hasStatistics",
           (pg_relation_size(s.relid) / current_setting('block_size')::int)::bigint AS pages,
           round(coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_analyze_threshold'), current_setting('autovacuum_analyze_threshold')::float8)
                 + coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_analyze_scale_factor'), current_setting('autovacuum_analyze_scale_factor')::float8)
                   * greatest(c.reltuples, 0))::float8 AS "analyzeThreshold"
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.schemaname = ${schema}
    ORDER BY s.relname`;
}

export interface StaleTable {
  readonly table: string;
  readonly reason: string;
}

/** Why a table's statistics are stale, or null when they are fresh enough. */
export function staleReason(t: TableStatistics): string | null {
  const analyzed = t.lastAnalyze ?? t.lastAutoanalyze;
  if (!t.hasStatistics && (t.pages > 0 || t.liveRows > 0)) return analyzed ? "no column statistics" : "never analyzed";
  if (t.modifiedSinceAnalyze > t.analyzeThreshold) return `${t.modifiedSinceAnalyze} rows changed since the last ANALYZE (over ${Math.round(t.analyzeThreshold)})`;
  return null;
}

export function findStaleTables(tables: readonly TableStatistics[]): StaleTable[] {
  return tables.flatMap((t) => {
    const reason = staleReason(t);
    return reason ? [{ table: t.table, reason }] : [];
  });
}

export interface DeadTupleTable {
  readonly table: string;
  readonly liveRows: number;
  readonly deadRows: number;
  /** deadRows / (live + dead), 0..1. */
  readonly deadFraction: number;
  readonly lastVacuum: Date | null;
}

export function findDeadTupleTables(tables: readonly TableStatistics[], min = DEAD_TUPLES_MIN, fraction = DEAD_TUPLES_FRACTION): DeadTupleTable[] {
  return tables
    .map((t) => {
      const lastVacuum = [t.lastVacuum, t.lastAutovacuum].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
      return { table: t.table, liveRows: t.liveRows, deadRows: t.deadRows, deadFraction: t.deadRows / Math.max(1, t.liveRows + t.deadRows), lastVacuum };
    })
    .filter((t) => t.deadRows >= min && t.deadFraction >= fraction)
    .sort((a, b) => b.deadRows - a.deadRows);
}
