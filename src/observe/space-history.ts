// Table and index sizes, one snapshot per day (PgHero's space stats), and the
// growth of each table over the last days from them.
import type { Sql } from "../db/index.ts";
import { MONITOR_SCHEMA, ensureMonitorSchema, monitorSchemaReady } from "./monitor-schema.ts";

/** Growth is reported over this many days by default. */
export const SPACE_GROWTH_DAYS = 7;

const S = MONITOR_SCHEMA;

/** The UTC day a snapshot belongs to. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Has today's (UTC) snapshot been taken? */
export async function spaceCapturedOn(sql: Sql, day: string): Promise<boolean> {
  if (!(await monitorSchemaReady(sql))) return false;
  const [row] = await sql<{ taken: boolean }[]>`SELECT EXISTS (SELECT 1 FROM ${sql(S)}.space_captures WHERE captured_on = ${day}::date) AS taken`;
  return row!.taken;
}

export interface SpaceCaptureResult {
  readonly day: string;
  readonly relations: number;
  readonly durationMs: number;
}

/**
 * Snapshot the size of every table (heap + TOAST, pg_table_size) and index
 * (pg_relation_size) outside the system schemas and the monitor's own. Taking
 * it again the same day replaces that day's figures. `on` exists for tests
 * and back-filling.
 */
export async function captureSpace(sql: Sql, options: { on?: Date } = {}): Promise<SpaceCaptureResult> {
  const started = performance.now();
  await ensureMonitorSchema(sql);
  const day = utcDay(options.on ?? new Date());
  const rows = await sql`
    INSERT INTO ${sql(S)}.relation_sizes (captured_on, schema_name, relation, kind, table_name, bytes)
    SELECT ${day}::date, n.nspname, c.relname, CASE WHEN c.relkind = 'i' THEN 'index' ELSE 'table' END,
           coalesce(t.relname, c.relname),
           CASE WHEN c.relkind = 'i' THEN pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_index i ON i.indexrelid = c.oid
    LEFT JOIN pg_class t ON t.oid = i.indrelid
    WHERE c.relkind IN ('r', 'm', 'i') AND c.relpersistence <> 't'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', ${S}) AND n.nspname NOT LIKE 'pg\\_toast%'
      AND (c.relkind <> 'i' OR t.relkind IN ('r', 'm'))
    ON CONFLICT (captured_on, schema_name, relation) DO UPDATE SET bytes = EXCLUDED.bytes, kind = EXCLUDED.kind, table_name = EXCLUDED.table_name`;
  const durationMs = Math.round((performance.now() - started) * 100) / 100;
  await sql`
    INSERT INTO ${sql(S)}.space_captures (captured_on, captured_at, relations, duration_ms) VALUES (${day}::date, now(), ${rows.count}, ${durationMs})
    ON CONFLICT (captured_on) DO UPDATE SET captured_at = EXCLUDED.captured_at, relations = EXCLUDED.relations, duration_ms = EXCLUDED.duration_ms`;
  return { day, relations: rows.count, durationMs };
}

export interface TableGrowth {
  readonly schema: string;
  readonly table: string;
  /** Table + its indexes, at the newest snapshot. */
  readonly bytes: number;
  readonly indexBytes: number;
  /** The oldest snapshot inside the window, and the size then. */
  readonly sinceDay: string;
  readonly bytesThen: number;
  readonly growthBytes: number;
  /** growthBytes / days between the two snapshots; null when both are the same day. */
  readonly growthBytesPerDay: number | null;
  readonly latestDay: string;
}

/** Growth per table between the oldest snapshot of the last `days` days and the newest, fastest growing first. */
export async function spaceGrowth(sql: Sql, days = SPACE_GROWTH_DAYS, limit = 50): Promise<TableGrowth[]> {
  if (!(await monitorSchemaReady(sql))) return [];
  return sql<TableGrowth[]>`
    WITH per_day AS (
      SELECT captured_on, schema_name, table_name, sum(bytes)::bigint AS bytes,
             coalesce(sum(bytes) FILTER (WHERE kind = 'index'), 0)::bigint AS index_bytes
      FROM ${sql(S)}.relation_sizes
      WHERE captured_on >= (now() AT TIME ZONE 'UTC')::date - ${days}::int
      GROUP BY 1, 2, 3
    ), latest AS (
      SELECT DISTINCT ON (schema_name, table_name) * FROM per_day ORDER BY schema_name, table_name, captured_on DESC
    ), oldest AS (
      SELECT DISTINCT ON (schema_name, table_name) * FROM per_day ORDER BY schema_name, table_name, captured_on ASC
    )
    SELECT l.schema_name AS schema, l.table_name AS "table", l.bytes, l.index_bytes AS "indexBytes",
           o.captured_on::text AS "sinceDay", o.bytes AS "bytesThen", (l.bytes - o.bytes)::bigint AS "growthBytes",
           CASE WHEN l.captured_on > o.captured_on THEN round((l.bytes - o.bytes)::numeric / (l.captured_on - o.captured_on))::float8 END AS "growthBytesPerDay",
           l.captured_on::text AS "latestDay"
    FROM latest l JOIN oldest o USING (schema_name, table_name)
    ORDER BY (l.bytes - o.bytes) DESC, l.bytes DESC, 1, 2
    LIMIT ${limit}`;
}
