// Before/after figures of a migration run: indexes per table, database size,
// the performance indexes present (size, validity), the ledger.
import type { Sql } from "../db/index.ts";
import { databaseSizeBytes } from "../checks/database-health.ts";

export interface IndexCount {
  readonly table: string;
  readonly indexes: number;
  readonly indexBytes: number;
}

export interface DatabaseSnapshot {
  readonly at: string;
  readonly databaseBytes: number;
  readonly indexesPerTable: readonly IndexCount[];
  readonly totalIndexes: number;
}

export async function indexCountsByTable(sql: Sql): Promise<IndexCount[]> {
  return sql<IndexCount[]>`
    SELECT t.relname AS "table", count(i.indexrelid)::int AS indexes,
           coalesce(sum(pg_relation_size(i.indexrelid)), 0)::bigint AS "indexBytes"
    FROM pg_class t
    JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_index i ON i.indrelid = t.oid
    WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p')
    GROUP BY t.relname ORDER BY t.relname`;
}

export async function snapshotDatabase(sql: Sql): Promise<DatabaseSnapshot> {
  const indexesPerTable = await indexCountsByTable(sql);
  return {
    at: new Date().toISOString(),
    databaseBytes: await databaseSizeBytes(sql),
    indexesPerTable,
    totalIndexes: indexesPerTable.reduce((s, t) => s + t.indexes, 0),
  };
}

export interface IndexState {
  readonly index: string;
  readonly table: string;
  readonly bytes: number;
  readonly valid: boolean;
  readonly definition: string;
}

/** The indexes among `names` that exist in the current schema. */
export async function indexStates(sql: Sql, names: readonly string[]): Promise<IndexState[]> {
  if (names.length === 0) return [];
  return sql<IndexState[]>`
    SELECT c.relname AS index, t.relname AS "table", pg_relation_size(c.oid) AS bytes,
           i.indisvalid AND i.indisready AS valid, pg_get_indexdef(c.oid) AS definition
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relname = ANY(${names as string[]})
    ORDER BY c.relname`;
}

/** graphile_migrate.migrations filenames (e.g. '000002.sql'); empty when never migrated. */
export async function appliedLedgerFilenames(sql: Sql): Promise<string[]> {
  const [{ exists }] = (await sql`SELECT to_regclass('graphile_migrate.migrations') IS NOT NULL AS exists`) as unknown as [{ exists: boolean }];
  if (!exists) return [];
  const rows = await sql<{ filename: string }[]>`SELECT filename FROM graphile_migrate.migrations ORDER BY filename`;
  return rows.map((r) => r.filename);
}

/** Tables (of `tables`) that do not exist, resolved with the session's search_path. */
export async function missingTables(sql: Sql, tables: readonly string[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const rows = await sql<{ name: string }[]>`
    SELECT name FROM unnest(${tables as string[]}::text[]) AS name WHERE to_regclass(name) IS NULL ORDER BY name`;
  return rows.map((r) => r.name);
}

/**
 * Tables holding a performance index (recorded in the ledger) that was built
 * after the table's last ANALYZE or autoanalyze: the planner has no statistics
 * for its expression indexes (and a stale picture of the table) until the
 * next ANALYZE. A run that crashed or was killed before its own ANALYZE
 * leaves such tables behind; the next run analyzes them too.
 */
export async function tablesLackingStatistics(sql: Sql, migrations: readonly { ledgerFilename: string; index?: { table: string } }[]): Promise<string[]> {
  const built = migrations.filter((m) => m.index);
  if (built.length === 0) return [];
  const [{ exists }] = (await sql`SELECT to_regclass('graphile_migrate.migrations') IS NOT NULL AS exists`) as unknown as [{ exists: boolean }];
  if (!exists) return [];
  const rows = await sql<{ table: string }[]>`
    SELECT DISTINCT p.tbl AS "table"
    FROM unnest(${built.map((m) => m.ledgerFilename)}::text[], ${built.map((m) => m.index!.table)}::text[]) AS p(filename, tbl)
    JOIN graphile_migrate.migrations m ON m.filename = p.filename
    JOIN pg_stat_user_tables s ON s.relid = to_regclass(p.tbl)
    WHERE greatest(s.last_analyze, s.last_autoanalyze) IS NULL OR greatest(s.last_analyze, s.last_autoanalyze) < m.date
    ORDER BY 1`;
  return rows.map((r) => r.table);
}
