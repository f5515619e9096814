// Database-wide health figures shared by verify, the health API and
// maintenance: sizes, cache hit ratios, sequential vs index scans.
import type { Sql } from "../db/index.ts";

/**
 * The cache-hit goal (spec "Verification Steps": > 95%): at or below it the
 * working set does not fit in shared_buffers. Every verdict (verify's database
 * check, the dashboard's overview) asks `meetsCacheHitGoal`, so 95.0 % reads
 * the same everywhere.
 */
export const CACHE_HIT_RATIO_MIN = 0.95;

/** True when a cache hit ratio (0..1) is above the goal: strictly, as the spec says. */
export function meetsCacheHitGoal(ratio: number): boolean {
  return ratio > CACHE_HIT_RATIO_MIN;
}

export async function databaseSizeBytes(sql: Sql): Promise<number> {
  const [row] = await sql<{ bytes: number }[]>`SELECT pg_database_size(current_database()) AS bytes`;
  return row!.bytes;
}

export interface TableSize {
  readonly table: string;
  readonly totalBytes: number;
  readonly tableBytes: number;
  readonly indexBytes: number;
  readonly estimatedRows: number;
}

export async function largestTables(sql: Sql, limit = 10, schema = "public"): Promise<TableSize[]> {
  return sql<TableSize[]>`
    SELECT c.relname AS "table", pg_total_relation_size(c.oid) AS "totalBytes",
           pg_relation_size(c.oid) AS "tableBytes", pg_indexes_size(c.oid) AS "indexBytes",
           greatest(c.reltuples, 0)::bigint AS "estimatedRows"
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p')
    ORDER BY pg_total_relation_size(c.oid) DESC, c.relname
    LIMIT ${limit}`;
}

export interface CacheHitRatio {
  /** heap blocks found in shared_buffers / all heap block requests; null when nothing was read yet. */
  readonly tables: number | null;
  readonly indexes: number | null;
  readonly tableBlocks: number;
  readonly indexBlocks: number;
}

/** Shared-buffer hit ratio of user tables and indexes since the counters started. */
export async function cacheHitRatio(sql: Sql): Promise<CacheHitRatio> {
  const [row] = await sql<{ heapHit: number; heapRead: number; idxHit: number; idxRead: number }[]>`
    SELECT coalesce(sum(heap_blks_hit), 0)::bigint AS "heapHit", coalesce(sum(heap_blks_read), 0)::bigint AS "heapRead",
           coalesce(sum(idx_blks_hit), 0)::bigint AS "idxHit", coalesce(sum(idx_blks_read), 0)::bigint AS "idxRead"
    FROM pg_statio_user_tables`;
  const { heapHit, heapRead, idxHit, idxRead } = row!;
  const ratio = (hit: number, read: number) => (hit + read === 0 ? null : hit / (hit + read));
  return { tables: ratio(heapHit, heapRead), indexes: ratio(idxHit, idxRead), tableBlocks: heapHit + heapRead, indexBlocks: idxHit + idxRead };
}

/** The index-usage goal (spec "Verification Steps": index usage > 80%) for idx_scan / (idx_scan + seq_scan) over a workload. */
export const INDEX_USAGE_RATIO_MIN = 0.8;

/** True when an index usage ratio (0..1) is above the goal: strictly, as the spec says. */
export function meetsIndexUsageGoal(ratio: number): boolean {
  return ratio > INDEX_USAGE_RATIO_MIN;
}

export interface ScanCounters {
  readonly table: string;
  readonly seqScans: number;
  readonly idxScans: number;
  readonly liveRows: number;
}

/** Sequential and index scans per table (snapshot before and after a workload to measure it alone). */
export async function scanCounters(sql: Sql, schema = "public"): Promise<ScanCounters[]> {
  return sql<ScanCounters[]>`
    SELECT relname AS "table", seq_scan AS "seqScans", coalesce(idx_scan, 0) AS "idxScans", n_live_tup AS "liveRows"
    FROM pg_stat_user_tables WHERE schemaname = ${schema} ORDER BY relname`;
}

/**
 * Statistics are sent to the shared stats system at transaction end (and at
 * most once a second for busy backends); clear our backend's snapshot so the
 * next read sees what other sessions reported.
 */
export async function refreshStatsSnapshot(sql: Sql): Promise<void> {
  await sql`SELECT pg_stat_clear_snapshot()`;
}
