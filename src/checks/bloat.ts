// Estimated btree index bloat, from the catalog and pg_stats only (no
// pgstattuple needed): the well-known ioguix / PGExperts estimate
// (github.com/ioguix/pgsql-bloat-estimation, btree/btree_bloat.sql). It
// computes how many pages the index would need for its reltuples at its
// fillfactor, from the average width of its key columns, and compares that
// with its real size. An estimate: it needs fresh statistics (ANALYZE first),
// and is unreliable for indexes on `name` columns (flagged).
import type { Sql } from "../db/index.ts";

/** Rebuild only when at least this share of the index is estimated bloat... */
export const BLOAT_PERCENT_MIN = 30;
/** ...and the bloat is at least this big: rebuilding small indexes is noise. */
export const BLOAT_BYTES_MIN = 10 * 1024 * 1024;

export interface IndexBloat {
  readonly schema: string;
  readonly table: string;
  readonly index: string;
  readonly indexBytes: number;
  /** Estimated bytes beyond what the index needs at its fillfactor (0 when it needs more than it has). */
  readonly bloatBytes: number;
  /** bloatBytes / indexBytes, 0..100. */
  readonly bloatPercent: number;
  readonly fillfactor: number;
  /** The estimate is not reliable (a `name` column: pg_stats' width is wrong for it). */
  readonly unreliable: boolean;
  readonly valid: boolean;
}

/**
 * Per valid btree index of `schema` with at least one page and statistics on
 * every key column (indexes without them are skipped: run ANALYZE first).
 */
export async function estimateBtreeBloat(sql: Sql, schema = "public"): Promise<IndexBloat[]> {
  return sql<IndexBloat[]>`
    WITH idx AS (
      SELECT ci.oid AS idxoid, ci.relname AS idxname, ci.reltuples, ci.relpages, i.indrelid AS tbloid, i.indisvalid AS valid,
             ct.relname AS tblname, n.nspname, i.indnatts,
             coalesce(substring(array_to_string(ci.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::int, 90) AS fillfactor,
             string_to_array(textin(int2vectorout(i.indkey)), ' ')::int[] AS indkey
      FROM pg_index i
      JOIN pg_class ci ON ci.oid = i.indexrelid
      JOIN pg_class ct ON ct.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = ci.relnamespace
      WHERE n.nspname = ${schema} AND ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree') AND ci.relpages > 0
    ), cols AS (
      -- one row per index column: a table column, or (indkey 0) an expression whose stats are under the index's name
      SELECT idx.*, pos,
             coalesce(a1.attname, a2.attname) AS attname, coalesce(a1.atttypid, a2.atttypid) AS atttypid,
             CASE WHEN a1.attnum IS NULL THEN idx.idxname ELSE idx.tblname END AS attrelname
      FROM idx
      CROSS JOIN LATERAL generate_series(1, idx.indnatts) AS pos
      LEFT JOIN pg_attribute a1 ON idx.indkey[pos] <> 0 AND a1.attrelid = idx.tbloid AND a1.attnum = idx.indkey[pos]
      LEFT JOIN pg_attribute a2 ON idx.indkey[pos] = 0 AND a2.attrelid = idx.idxoid AND a2.attnum = pos
    ), widths AS (
      SELECT c.idxoid, c.idxname, c.tblname, c.nspname, c.reltuples, c.relpages, c.fillfactor, c.valid, c.indnatts,
             current_setting('block_size')::numeric AS bs,
             8 AS maxalign, 24 AS pagehdr, 16 AS pageopqdata,
             -- IndexTupleData, plus the null bitmap when a column has NULLs
             CASE WHEN max(coalesce(s.null_frac, 0)) = 0 THEN 8 ELSE 8 + ((32 + 8 - 1) / 8) END AS index_tuple_hdr_bm,
             sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024)) AS nulldatawidth,
             bool_or(c.atttypid = 'pg_catalog.name'::regtype) AS is_na,
             count(s.attname) AS stats_cols
      FROM cols c
      LEFT JOIN pg_stats s ON s.schemaname = c.nspname AND s.tablename = c.attrelname AND s.attname = c.attname
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ), tuple AS (
      SELECT *,
             (index_tuple_hdr_bm + maxalign - CASE WHEN index_tuple_hdr_bm % maxalign = 0 THEN maxalign ELSE index_tuple_hdr_bm % maxalign END
              + nulldatawidth + maxalign - CASE WHEN nulldatawidth = 0 THEN 0 WHEN nulldatawidth::int % maxalign = 0 THEN maxalign ELSE nulldatawidth::int % maxalign END
             )::numeric AS nulldatahdrwidth
      FROM widths
      WHERE stats_cols = indnatts
    ), est AS (
      SELECT *,
             coalesce(1 + ceil(greatest(reltuples, 0) / floor((bs - pageopqdata - pagehdr) * fillfactor / (100 * (4 + nulldatahdrwidth)::float))), 0) AS est_pages_ff
      FROM tuple
    )
    SELECT nspname AS schema, tblname AS "table", idxname AS index,
           (bs * relpages)::bigint AS "indexBytes",
           CASE WHEN relpages > est_pages_ff THEN (bs * (relpages - est_pages_ff))::bigint ELSE 0 END AS "bloatBytes",
           CASE WHEN relpages > est_pages_ff THEN round((100 * (relpages - est_pages_ff)::float / relpages)::numeric, 1)::float8 ELSE 0 END AS "bloatPercent",
           fillfactor, is_na AS unreliable, valid
    FROM est
    ORDER BY "bloatBytes" DESC, index`;
}

export interface BloatThreshold {
  readonly percent: number;
  readonly bytes: number;
}

/** Worth a REINDEX: valid, reliable estimate, bloat over both thresholds. */
export function needsReindex(bloat: IndexBloat, threshold: BloatThreshold = { percent: BLOAT_PERCENT_MIN, bytes: BLOAT_BYTES_MIN }): boolean {
  return bloat.valid && !bloat.unreliable && bloat.bloatPercent >= threshold.percent && bloat.bloatBytes >= threshold.bytes && bloat.bloatBytes > 0;
}
