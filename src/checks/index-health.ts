// Index checks shared by verify, the health API, maintenance and the tests:
// invalid indexes, redundant indexes, unused indexes. One topic, its SQL beside it.
import type { Sql } from "../db/index.ts";

export interface InvalidIndex {
  readonly schema: string;
  readonly table: string;
  readonly index: string;
  readonly definition: string;
}

/** Indexes left INVALID (e.g. by a failed CREATE INDEX CONCURRENTLY): unused by queries, still maintained on writes. */
export async function findInvalidIndexes(sql: Sql, schema = "public"): Promise<InvalidIndex[]> {
  return sql<InvalidIndex[]>`
    SELECT n.nspname AS schema, t.relname AS "table", c.relname AS index, pg_get_indexdef(c.oid) AS definition
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND (NOT i.indisvalid OR NOT i.indisready)
    ORDER BY 2, 3`;
}

export interface RedundantIndex {
  readonly table: string;
  /** The index that could be dropped... */
  readonly index: string;
  /** ...because this one covers it (its columns are a leading prefix of this one's). */
  readonly coveredBy: string;
  readonly indexBytes: number;
}

/**
 * Index A is redundant with B when both are on the same table with the same
 * access method, the same predicate (or none), A is not unique (a unique
 * index enforces something) and A's key columns, with their operator classes
 * and collations, are a leading prefix of B's. Expression indexes are
 * compared by their expression text.
 */
export async function findRedundantIndexes(sql: Sql, schema = "public"): Promise<RedundantIndex[]> {
  return sql<RedundantIndex[]>`
    WITH idx AS (
      SELECT i.indexrelid, i.indrelid, c.relname AS name, t.relname AS table_name, am.amname,
             i.indisunique, i.indisprimary, i.indnkeyatts AS nkeys,
             (i.indkey::int2[])[0:i.indnkeyatts - 1] AS keys,
             (i.indclass::oid[])[0:i.indnkeyatts - 1] AS opclasses,
             (i.indcollation::oid[])[0:i.indnkeyatts - 1] AS collations,
             (i.indoption::int2[])[0:i.indnkeyatts - 1] AS options,
             coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs,
             coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred,
             pg_relation_size(i.indexrelid) AS bytes
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_am am ON am.oid = c.relam
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${schema} AND i.indisvalid
    )
    SELECT a.table_name AS "table", a.name AS index, b.name AS "coveredBy", a.bytes AS "indexBytes"
    FROM idx a JOIN idx b
      ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid
     AND a.amname = b.amname AND a.pred = b.pred AND a.exprs = b.exprs
     AND NOT a.indisunique AND NOT a.indisprimary
     AND a.nkeys <= b.nkeys
     AND a.keys = b.keys[1:a.nkeys]
     AND a.opclasses = b.opclasses[1:a.nkeys]
     AND a.collations = b.collations[1:a.nkeys]
     AND a.options[1:a.nkeys] = b.options[1:a.nkeys]
     -- of two identical indexes report only one
     AND (a.nkeys < b.nkeys OR a.indexrelid > b.indexrelid)
    ORDER BY 1, 2`;
}

export interface IndexUsage {
  readonly table: string;
  readonly index: string;
  readonly scans: number;
  readonly indexBytes: number;
  readonly unique: boolean;
}

/** Per-index scan counts since the statistics were last reset, most used first. */
export async function indexUsage(sql: Sql, schema = "public"): Promise<IndexUsage[]> {
  return sql<IndexUsage[]>`
    SELECT s.relname AS "table", s.indexrelname AS index, s.idx_scan AS scans,
           pg_relation_size(s.indexrelid) AS "indexBytes", i.indisunique AS unique
    FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
    WHERE s.schemaname = ${schema}
    ORDER BY s.idx_scan DESC, s.indexrelname`;
}

/** When the statistics counters started (pg_stat_database.stats_reset; null = since the cluster was created). */
export async function statsResetAt(sql: Sql): Promise<Date | null> {
  const [row] = await sql<{ reset: Date | null }[]>`SELECT stats_reset AS reset FROM pg_stat_database WHERE datname = current_database()`;
  return row?.reset ?? null;
}

/** Indexes never scanned since the counters started; unique/primary keys are excluded (they enforce constraints). */
export async function findUnusedIndexes(sql: Sql, schema = "public"): Promise<IndexUsage[]> {
  return (await indexUsage(sql, schema)).filter((u) => u.scans === 0 && !u.unique);
}
