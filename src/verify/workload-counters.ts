// What verify and bench read around a workload: planner row estimates (for
// "sequential scan on a large table"), the indexes that exist, the raw buffer
// counters (a cache hit ratio over one workload only), whether tables hold data.
import type { Sql } from "../db/index.ts";

/** Planner row estimates (pg_class.reltuples, kept by ANALYZE/autovacuum) of every table in the schema. */
export async function tableRowEstimates(sql: Sql, schema = "public"): Promise<Map<string, number>> {
  const rows = await sql<{ table: string; rows: number }[]>`
    SELECT c.relname AS "table", greatest(c.reltuples, 0)::bigint AS rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p', 'm')`;
  return new Map(rows.map((r) => [r.table, r.rows]));
}

/** Names of the valid indexes in the schema. */
export async function existingIndexNames(sql: Sql, schema = "public"): Promise<Set<string>> {
  const rows = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND i.indisvalid`;
  return new Set(rows.map((r) => r.name));
}

export interface BufferCounters {
  readonly heapHit: number;
  readonly heapRead: number;
  readonly idxHit: number;
  readonly idxRead: number;
}

/** Raw shared-buffer hit/read block counters of user tables and indexes (snapshot before and after a workload). */
export async function bufferCounters(sql: Sql): Promise<BufferCounters> {
  const [row] = await sql<BufferCounters[]>`
    SELECT coalesce(sum(heap_blks_hit), 0)::bigint AS "heapHit", coalesce(sum(heap_blks_read), 0)::bigint AS "heapRead",
           coalesce(sum(idx_blks_hit), 0)::bigint AS "idxHit", coalesce(sum(idx_blks_read), 0)::bigint AS "idxRead"
    FROM pg_statio_user_tables`;
  return row!;
}

/**
 * Make this session's pending statistics visible to others: PostgreSQL
 * flushes a busy backend's counters at most once a second (or after 10 s
 * idle); this forces the flush at the end of the current statement.
 */
export async function flushSessionStats(sql: Sql): Promise<void> {
  await sql`SELECT pg_stat_force_next_flush()`;
  await sql`SELECT pg_stat_clear_snapshot()`;
}

/** Which of the given tables hold no row at all (cheap: stops at the first row). */
export async function emptyTables(sql: Sql, tables: readonly string[]): Promise<string[]> {
  const empty: string[] = [];
  for (const table of tables) {
    const [row] = await sql<{ has: boolean }[]>`SELECT EXISTS (SELECT 1 FROM ${sql(table)}) AS has`;
    if (!row!.has) empty.push(table);
  }
  return empty;
}
