// Slow queries over a window, from the captured deltas (statement-capture.ts):
// the sum of the deltas of every capture that ended inside the window.
import type { Sql } from "../db/index.ts";
import { STATEMENT_TEXT_MAX } from "../checks/query-stats.ts";
import { MONITOR_SCHEMA, monitorSchemaReady } from "./monitor-schema.ts";
import type { HistoryWindow } from "./window.ts";

export interface WindowedStatement {
  readonly queryId: string;
  /** Normalized text as pg_stat_statements stored it; null when it was never read. */
  readonly query: string | null;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly rows: number;
  readonly cacheHitRatio: number | null;
}

export interface WindowCoverage {
  /** The interval the summed deltas actually cover (start of the oldest, end of the newest capture). */
  readonly from: Date | null;
  readonly to: Date | null;
  readonly captures: number;
  /** Captures that found pg_stat_statements reset: what ran between the previous capture and the reset is not counted. */
  readonly resetsDetected: number;
}

export interface StatementWindow {
  readonly coverage: WindowCoverage;
  readonly byMeanTime: readonly WindowedStatement[];
  readonly byTotalTime: readonly WindowedStatement[];
}

const S = MONITOR_SCHEMA;

export async function statementWindow(sql: Sql, window: HistoryWindow, limit = 10): Promise<StatementWindow> {
  if (!(await monitorSchemaReady(sql))) return { coverage: { from: null, to: null, captures: 0, resetsDetected: 0 }, byMeanTime: [], byTotalTime: [] };
  const seconds = window.ms / 1000;
  // Aliased coveredFrom/coveredTo: a quoted from-alias looks like an import specifier to the package-exports scan.
  const [row] = await sql<{ coveredFrom: Date | null; coveredTo: Date | null; captures: number; resetsDetected: number }[]>`
    SELECT min(coalesce(previous_at, captured_at)) AS "coveredFrom", max(captured_at) AS "coveredTo",
           count(*) FILTER (WHERE previous_at IS NOT NULL)::int AS captures,
           count(*) FILTER (WHERE reset_detected)::int AS "resetsDetected"
    FROM ${sql(S)}.statement_captures
    WHERE captured_at > now() - make_interval(secs => ${seconds})`;
  const top = (order: "mean" | "total") => sql<WindowedStatement[]>`
    WITH w AS (
      SELECT d.queryid, sum(d.calls)::bigint AS calls, sum(d.total_exec_ms) AS total_ms, sum(d.rows)::bigint AS rows,
             sum(d.shared_blks_hit)::numeric AS hit, sum(d.shared_blks_read)::numeric AS read
      FROM ${sql(S)}.statement_deltas d
      JOIN ${sql(S)}.statement_captures c ON c.id = d.capture_id
      WHERE c.captured_at > now() - make_interval(secs => ${seconds})
      GROUP BY d.queryid
      HAVING sum(d.calls) > 0
    )
    SELECT w.queryid::text AS "queryId", left(regexp_replace(t.query, '\\s+', ' ', 'g'), ${STATEMENT_TEXT_MAX}) AS query, w.calls,
           round(w.total_ms::numeric, 3)::float8 AS "totalMs", round((w.total_ms / w.calls)::numeric, 3)::float8 AS "meanMs", w.rows,
           CASE WHEN w.hit + w.read = 0 THEN NULL ELSE round(w.hit / (w.hit + w.read), 4)::float8 END AS "cacheHitRatio"
    FROM w LEFT JOIN ${sql(S)}.statement_texts t ON t.queryid = w.queryid
    ORDER BY ${order === "mean" ? sql`w.total_ms / w.calls` : sql`w.total_ms`} DESC, w.queryid
    LIMIT ${limit}`;
  const [byMeanTime, byTotalTime] = await Promise.all([top("mean"), top("total")]);
  const coverage: WindowCoverage = { from: row!.coveredFrom, to: row!.coveredTo, captures: row!.captures, resetsDetected: row!.resetsDetected };
  return { coverage, byMeanTime, byTotalTime };
}
