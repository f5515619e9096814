// Time series for the dashboard's line charts, read from the monitor's
// history schema (src/observe: statement deltas every few minutes, relation
// sizes daily). Empty when the monitor has not captured anything yet.
import type { Sql } from "../db/index.ts";
import { MONITOR_SCHEMA, monitorSchemaReady } from "../observe/monitor-schema.ts";
import type { HistoryWindow } from "../observe/window.ts";

export interface CapturePoint {
  readonly at: Date;
  /** Execution time of all statements between the previous capture and this one. */
  readonly totalMs: number;
  readonly calls: number;
}

/** Database time per capture interval inside the window, oldest first (baseline-only captures left out). */
export async function statementTimeline(sql: Sql, window: HistoryWindow): Promise<CapturePoint[]> {
  if (!(await monitorSchemaReady(sql))) return [];
  return sql<CapturePoint[]>`
    SELECT c.captured_at AS at, coalesce(sum(d.total_exec_ms), 0)::float8 AS "totalMs", coalesce(sum(d.calls), 0)::bigint AS calls
    FROM ${sql(MONITOR_SCHEMA)}.statement_captures c
    LEFT JOIN ${sql(MONITOR_SCHEMA)}.statement_deltas d ON d.capture_id = c.id
    WHERE c.captured_at > now() - make_interval(secs => ${window.ms / 1000}) AND c.previous_at IS NOT NULL
    GROUP BY c.id, c.captured_at
    ORDER BY c.captured_at`;
}

export interface SizePoint {
  readonly day: Date;
  readonly tableBytes: number;
  readonly indexBytes: number;
}

/** Total size of the captured tables and indexes per day over the last `days` days, oldest first. */
export async function dailySizes(sql: Sql, days: number): Promise<SizePoint[]> {
  if (!(await monitorSchemaReady(sql))) return [];
  return sql<SizePoint[]>`
    SELECT captured_on::timestamptz AS day,
           coalesce(sum(bytes) FILTER (WHERE kind = 'table'), 0)::bigint AS "tableBytes",
           coalesce(sum(bytes) FILTER (WHERE kind = 'index'), 0)::bigint AS "indexBytes"
    FROM ${sql(MONITOR_SCHEMA)}.relation_sizes
    WHERE captured_on >= (now() AT TIME ZONE 'UTC')::date - ${days}::int
    GROUP BY captured_on
    ORDER BY captured_on`;
}
