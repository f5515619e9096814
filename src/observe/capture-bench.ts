// What the monitor's history costs (`npm run bench -- capture`): time per
// capture, rows and bytes kept per day. Between captures a workload runs
// `distinct` structurally different statements (SELECT of 1..n constant
// columns: each n is its own pg_stat_statements entry), so every capture
// writes that many delta rows: the figure scales with how many different
// statements the application runs in 5 minutes, which the report states.
import type { Sql } from "../db/index.ts";
import { captureSpace } from "./space-history.ts";
import { CAPTURE_INTERVAL_MINUTES, runCapture } from "./capture.ts";
import { MONITOR_SCHEMA } from "./monitor-schema.ts";
import { captureStatements } from "./statement-capture.ts";
import { median } from "../base/statistics.ts";

export interface CaptureBenchOptions {
  /** Measured captures (after one warm-up). */
  readonly captures: number;
  /** Distinct statements run between two captures. */
  readonly distinct: number;
}

export interface CaptureBenchResult {
  /** pg_stat_statements entries of this database at the end (what each capture reads). */
  readonly entries: number;
  readonly distinct: number;
  readonly captureMs: { readonly median: number; readonly max: number; readonly all: readonly number[] };
  readonly rowsPerCapture: number;
  /** Delta rows + their primary-key index, per row (pg_total_relation_size / rows). */
  readonly bytesPerDeltaRow: number;
  readonly statementRowsPerDay: number;
  readonly statementBytesPerDay: number;
  readonly space: { readonly ms: number; readonly rowsPerDay: number; readonly bytesPerRow: number; readonly bytesPerDay: number };
}

async function workload(sql: Sql, distinct: number): Promise<void> {
  for (let n = 1; n <= distinct; n++) await sql.unsafe(`SELECT ${Array.from({ length: n }, (_, i) => i).join(", ")}`);
}

export async function benchCapture(sql: Sql, options: CaptureBenchOptions, log: (line: string) => void = () => {}): Promise<CaptureBenchResult> {
  const perDay = (24 * 60) / CAPTURE_INTERVAL_MINUTES;
  await runCapture(sql); // schema, baseline, today's sizes
  await workload(sql, options.distinct);
  await captureStatements(sql); // warm-up: texts of the new statements read once
  const times: number[] = [];
  const rows: number[] = [];
  for (let i = 0; i < options.captures; i++) {
    await workload(sql, options.distinct);
    const result = await captureStatements(sql);
    times.push(result.durationMs);
    rows.push(result.statements);
    log(`capture ${i + 1}/${options.captures}: ${result.statements} rows in ${result.durationMs} ms`);
  }
  const S = sql(MONITOR_SCHEMA);
  const [deltas] = await sql<{ rows: number; bytes: number }[]>`
    SELECT (SELECT count(*) FROM ${S}.statement_deltas)::bigint AS rows, pg_total_relation_size(${`${MONITOR_SCHEMA}.statement_deltas`}::regclass) AS bytes`;
  const [entries] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_statements(false) WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`;
  const space = await captureSpace(sql);
  const [sizes] = await sql<{ rows: number; bytes: number }[]>`
    SELECT (SELECT count(*) FROM ${S}.relation_sizes)::bigint AS rows, pg_total_relation_size(${`${MONITOR_SCHEMA}.relation_sizes`}::regclass) AS bytes`;
  const bytesPerDeltaRow = Math.round(deltas!.bytes / Math.max(1, deltas!.rows));
  const rowsPerCapture = Math.round(median(rows));
  const sizeBytesPerRow = Math.round(sizes!.bytes / Math.max(1, sizes!.rows));
  return {
    entries: entries!.n,
    distinct: options.distinct,
    captureMs: { median: median(times), max: Math.max(...times), all: times },
    rowsPerCapture,
    bytesPerDeltaRow,
    statementRowsPerDay: rowsPerCapture * perDay,
    statementBytesPerDay: rowsPerCapture * perDay * bytesPerDeltaRow,
    space: { ms: space.durationMs, rowsPerDay: space.relations, bytesPerRow: sizeBytesPerRow, bytesPerDay: space.relations * sizeBytesPerRow },
  };
}
