// What verify and bench read around a workload: planner row estimates (for
// "sequential scan on a large table"), the indexes that exist, the raw buffer
// counters (a cache hit ratio over one workload only), whether tables hold data.
import { scanCounters, type ScanCounters } from "../checks/database-health.ts";
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

export interface WorkloadDelta {
  readonly seqScans: number;
  readonly idxScans: number;
  readonly heapHit: number;
  readonly heapRead: number;
  readonly idxHit: number;
  readonly idxRead: number;
  /** Per table, tables with any scan only. */
  readonly tables: readonly { readonly table: string; readonly seqScans: number; readonly idxScans: number }[];
}

type WorkloadCounters = { scans: ScanCounters[]; buffers: BufferCounters };

/** The scan and buffer counters, after flushing this session's statistics. */
export async function workloadCounters(sql: Sql): Promise<WorkloadCounters> {
  await flushSessionStats(sql);
  return { scans: await scanCounters(sql), buffers: await bufferCounters(sql) };
}

/** What a workload did between two readings of workloadCounters (tables with any scan only). */
export function workloadDelta(before: WorkloadCounters, after: WorkloadCounters): WorkloadDelta {
  const tables = after.scans
    .map((a) => {
      const b = before.scans.find((x) => x.table === a.table);
      return { table: a.table, seqScans: a.seqScans - (b?.seqScans ?? 0), idxScans: a.idxScans - (b?.idxScans ?? 0) };
    })
    .filter((t) => t.seqScans > 0 || t.idxScans > 0);
  return {
    seqScans: tables.reduce((s, t) => s + t.seqScans, 0),
    idxScans: tables.reduce((s, t) => s + t.idxScans, 0),
    heapHit: after.buffers.heapHit - before.buffers.heapHit,
    heapRead: after.buffers.heapRead - before.buffers.heapRead,
    idxHit: after.buffers.idxHit - before.buffers.idxHit,
    idxRead: after.buffers.idxRead - before.buffers.idxRead,
    tables,
  };
}

export function sumWorkload(parts: readonly WorkloadDelta[]): WorkloadDelta {
  const tables = new Map<string, { seqScans: number; idxScans: number }>();
  for (const p of parts) {
    for (const t of p.tables) {
      const acc = tables.get(t.table) ?? { seqScans: 0, idxScans: 0 };
      tables.set(t.table, { seqScans: acc.seqScans + t.seqScans, idxScans: acc.idxScans + t.idxScans });
    }
  }
  const sum = (k: "seqScans" | "idxScans" | "heapHit" | "heapRead" | "idxHit" | "idxRead") => parts.reduce((s, p) => s + p[k], 0);
  return {
    seqScans: sum("seqScans"), idxScans: sum("idxScans"), heapHit: sum("heapHit"), heapRead: sum("heapRead"), idxHit: sum("idxHit"), idxRead: sum("idxRead"),
    tables: [...tables].map(([table, v]) => ({ table, ...v })).sort((a, b) => a.table.localeCompare(b.table)),
  };
}

export const EMPTY_WORKLOAD: WorkloadDelta = { seqScans: 0, idxScans: 0, heapHit: 0, heapRead: 0, idxHit: 0, idxRead: 0, tables: [] };
