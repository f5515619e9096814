// What advise needs to know about the tables: row estimates, column types and
// widths, and every existing index as structured data (method, keys in order
// with direction, INCLUDE columns, predicate) to tell whether an index
// already serves a candidate.
import type { Sql } from "../db/index.ts";

export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  /** pg_stats.avg_width, when analyzed. */
  readonly avgWidth: number | null;
  /** pg_stats.n_distinct (negative: a fraction of the rows). */
  readonly nDistinct: number | null;
}

export interface ExistingIndex {
  readonly name: string;
  readonly table: string;
  readonly method: string;
  /** Key columns or expressions as pg_get_indexdef prints them, with " DESC" where descending. */
  readonly keys: readonly string[];
  /** Operator class per key ("" when the default). */
  readonly opclasses: readonly string[];
  readonly include: readonly string[];
  readonly predicate: string | null;
  readonly unique: boolean;
  /** Backs a primary key, unique or exclusion constraint: never reported as droppable. */
  readonly constraint: boolean;
  readonly valid: boolean;
  readonly bytes: number;
  readonly definition: string;
}

export interface TableInfo {
  readonly name: string;
  readonly rows: number;
  readonly columns: ReadonlyMap<string, ColumnInfo>;
  readonly indexes: readonly ExistingIndex[];
}

export type SchemaInfo = ReadonlyMap<string, TableInfo>;

export async function readSchema(sql: Sql, schema = "public"): Promise<SchemaInfo> {
  const tables = await sql<{ name: string; rows: number }[]>`
    SELECT c.relname AS name, greatest(c.reltuples, 0)::float8 AS rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p', 'm')`;
  const columns = await sql<{ table: string; name: string; type: string; avgWidth: number | null; nDistinct: number | null }[]>`
    SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
           s.avg_width AS "avgWidth", s.n_distinct::float8 AS "nDistinct"
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname AND NOT s.inherited
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p', 'm') AND a.attnum > 0 AND NOT a.attisdropped`;
  const indexes = await readIndexes(sql, schema);
  const out = new Map<string, TableInfo>();
  for (const t of tables) {
    out.set(t.name, {
      name: t.name,
      rows: t.rows,
      columns: new Map(columns.filter((c) => c.table === t.name).map((c) => [c.name, { name: c.name, type: c.type, avgWidth: c.avgWidth, nDistinct: c.nDistinct }])),
      indexes: indexes.filter((i) => i.table === t.name),
    });
  }
  return out;
}

export async function readIndexes(sql: Sql, schema = "public"): Promise<ExistingIndex[]> {
  const rows = await sql<{
    name: string; table: string; method: string; keys: string[]; opclasses: string[]; include: string[];
    predicate: string | null; unique: boolean; constraint: boolean; valid: boolean; bytes: number; definition: string;
  }[]>`
    SELECT ci.relname AS name, ct.relname AS table, am.amname AS method,
           ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) || CASE WHEN (i.indoption[k - 1] & 1) = 1 THEN ' DESC' ELSE '' END
                 FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS keys,
           ARRAY(SELECT CASE WHEN oc.opcdefault THEN '' ELSE oc.opcname END
                 FROM generate_series(1, i.indnkeyatts) k JOIN pg_opclass oc ON oc.oid = i.indclass[k - 1] ORDER BY k) AS opclasses,
           ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(i.indnkeyatts + 1, i.indnatts) k ORDER BY k) AS include,
           pg_get_expr(i.indpred, i.indrelid, true) AS predicate, i.indisunique AS unique,
           EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid) AS constraint,
           i.indisvalid AS valid, pg_relation_size(i.indexrelid)::float8 AS bytes,
           pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i
    JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_class ct ON ct.oid = i.indrelid
    JOIN pg_am am ON am.oid = ci.relam JOIN pg_namespace n ON n.oid = ct.relnamespace
    WHERE n.nspname = ${schema}
    ORDER BY ct.relname, ci.relname`;
  return rows.map((r) => ({ ...r, keys: [...r.keys], opclasses: [...r.opclasses], include: [...r.include] }));
}

/** Server version as a number (170010 for 17.10). */
export async function serverVersionNum(sql: Sql): Promise<{ num: number; version: string }> {
  const [row] = (await sql`SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`) as unknown as [{ num: number; version: string }];
  return row;
}
