// One capture of pg_stat_statements: the change of every statement's counters
// since the previous capture (a "delta"), stored per capture so any window
// (?since=1h, 7d) is a sum of deltas. PgHero stores the same idea
// (pghero_query_stats) but resets the counters to take it; we never reset
// them, so other tools reading pg_stat_statements keep working.
//
// The delta rule (why a delta is never negative and nothing counts twice):
//   pg_stat_statements counters only grow, except when an entry starts over:
//   - pg_stat_statements_reset() of everything: pg_stat_statements_info.stats_reset
//     moves (PG14+). Every entry then started from zero after our last capture,
//     so its delta is its whole current value.
//   - a crash or a restart with pg_stat_statements.save = off: the counters are
//     gone and stats_reset is set to the server start, same case as above. A clean
//     restart keeps the counters (and stats_reset): deltas continue normally.
//   - one entry or one database reset (pg_stat_statements_reset(userid, dbid, queryid),
//     which the health API's reset-stats does for its own database) or
//     evicted and re-created (pg_stat_statements.max): its stats_since moves
//     (PG17+), or, before PG17, its calls or time went backwards.
//   An entry that started over contributes its current value; one that did not
//   contributes current - previous; one not seen before contributes its current
//   value. What ran between our last capture and a reset is lost (the server
//   no longer has it): a window can undercount across a reset, never overcount.
//   GREATEST(0, ...) is a last guard; no branch above can produce a negative.
// The first capture of a database only records the baseline: counters
// accumulated before it belong to no known interval.
import type { Sql } from "../db/index.ts";
import { MONITOR_LOCK_KEY, MONITOR_SCHEMA, ensureMonitorSchema } from "./monitor-schema.ts";

const S = MONITOR_SCHEMA;

export interface StatementCaptureResult {
  readonly captureId: number;
  readonly capturedAt: Date;
  /** null for a baseline-only capture (the first one). */
  readonly previousAt: Date | null;
  /** Statements whose counters changed (rows written). */
  readonly statements: number;
  /** pg_stat_statements was reset (or the server lost its counters) since the last capture. */
  readonly resetDetected: boolean;
  /** Entries that started over on their own (single reset, eviction). */
  readonly restartedEntries: number;
  readonly durationMs: number;
}

interface ServerFacts {
  readonly version: number;
  readonly statsReset: Date | null;
  readonly postmasterStartedAt: Date;
}

async function serverFacts(sql: Sql): Promise<ServerFacts> {
  const [row] = await sql<{ version: number; hasInfo: boolean; postmasterStartedAt: Date }[]>`
    SELECT current_setting('server_version_num')::int AS version, to_regclass('pg_stat_statements_info') IS NOT NULL AS "hasInfo",
           pg_postmaster_start_time() AS "postmasterStartedAt"`;
  let statsReset: Date | null = null;
  if (row!.hasInfo) {
    const [info] = await sql<{ statsReset: Date | null }[]>`SELECT stats_reset AS "statsReset" FROM pg_stat_statements_info`;
    statsReset = info?.statsReset ?? null;
  }
  return { version: row!.version, statsReset, postmasterStartedAt: row!.postmasterStartedAt };
}

/**
 * Capture once. Needs pg_stat_statements created in this database (see
 * checkPgStatStatements) and CREATE on the database for the first run.
 * Serialized by an advisory lock: two monitors on one database take turns.
 */
export async function captureStatements(sql: Sql): Promise<StatementCaptureResult> {
  const started = performance.now();
  await ensureMonitorSchema(sql);
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MONITOR_LOCK_KEY})`;
    const facts = await serverFacts(tx as unknown as Sql);
    // Columns by server version (trusted constants, not input).
    const toplevel = facts.version >= 140000 ? "toplevel" : "true";
    const statsSince = facts.version >= 170000 ? "stats_since" : "NULL::timestamptz";
    await tx.unsafe(`
      CREATE TEMP TABLE pgss_now ON COMMIT DROP AS
      SELECT queryid, userid, ${toplevel} AS toplevel, ${statsSince} AS stats_since, calls,
             total_exec_time AS total_exec_ms, rows, shared_blks_hit, shared_blks_read
      FROM pg_stat_statements(false)
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL`);
    const [state] = await tx<{ capturedAt: Date; statsReset: Date | null }[]>`
      SELECT captured_at AS "capturedAt", stats_reset AS "statsReset" FROM ${tx(S)}.capture_state`;
    const resetDetected = state !== undefined && facts.statsReset !== null && state.statsReset !== null && facts.statsReset.getTime() !== state.statsReset.getTime();
    const [capture] = await tx<{ id: number; capturedAt: Date }[]>`
      INSERT INTO ${tx(S)}.statement_captures (captured_at, previous_at, stats_reset, reset_detected, statements, duration_ms)
      VALUES (now(), ${state?.capturedAt ?? null}, ${facts.statsReset}, ${resetDetected}, 0, 0)
      RETURNING id, captured_at AS "capturedAt"`;
    const { statements, restarted: restartedEntries } = state ? await recordDeltas(tx as unknown as Sql, capture!.id, resetDetected) : { statements: 0, restarted: 0 };
    // TRUNCATE rather than DELETE: the baseline is rewritten whole every time and leaves no dead rows behind.
    await tx`TRUNCATE ${tx(S)}.statement_baseline`;
    await tx`
      INSERT INTO ${tx(S)}.statement_baseline (queryid, userid, toplevel, stats_since, calls, total_exec_ms, rows, shared_blks_hit, shared_blks_read)
      SELECT queryid, userid, toplevel, stats_since, calls, total_exec_ms, rows, shared_blks_hit, shared_blks_read FROM pgss_now
      ON CONFLICT DO NOTHING`;
    await tx`
      INSERT INTO ${tx(S)}.capture_state (captured_at, stats_reset, postmaster_started_at)
      VALUES (${capture!.capturedAt}, ${facts.statsReset}, ${facts.postmasterStartedAt})
      ON CONFLICT (singleton) DO UPDATE SET captured_at = EXCLUDED.captured_at, stats_reset = EXCLUDED.stats_reset, postmaster_started_at = EXCLUDED.postmaster_started_at`;
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    await tx`UPDATE ${tx(S)}.statement_captures SET statements = ${statements}, duration_ms = ${durationMs} WHERE id = ${capture!.id}`;
    return { captureId: capture!.id, capturedAt: capture!.capturedAt, previousAt: state?.capturedAt ?? null, statements, resetDetected, restartedEntries, durationMs };
  }) as Promise<StatementCaptureResult>;
}

/** The deltas since the baseline, one row per statement that ran (a counter that went back means the entry started over), and texts for new statements. */
async function recordDeltas(tx: Sql, captureId: number, resetDetected: boolean): Promise<{ statements: number; restarted: number }> {
  const [counts] = await tx<{ statements: number; restarted: number }[]>`
    WITH d AS (
      SELECT n.*, b.queryid IS NULL AS unseen,
             (${resetDetected} OR b.queryid IS NULL
               OR n.stats_since IS DISTINCT FROM b.stats_since
               OR n.calls < b.calls OR n.total_exec_ms < b.total_exec_ms
               OR n.rows < b.rows OR n.shared_blks_hit < b.shared_blks_hit OR n.shared_blks_read < b.shared_blks_read) AS started_over,
             b.calls AS b_calls, b.total_exec_ms AS b_total, b.rows AS b_rows, b.shared_blks_hit AS b_hit, b.shared_blks_read AS b_read
      FROM pgss_now n
      LEFT JOIN ${tx(S)}.statement_baseline b USING (queryid, userid, toplevel)
    ), ins AS (
      INSERT INTO ${tx(S)}.statement_deltas (capture_id, queryid, userid, toplevel, calls, total_exec_ms, rows, shared_blks_hit, shared_blks_read)
      SELECT ${captureId}::bigint, queryid, userid, toplevel,
             greatest(0, CASE WHEN started_over THEN calls ELSE calls - b_calls END),
             greatest(0, CASE WHEN started_over THEN total_exec_ms ELSE total_exec_ms - b_total END),
             greatest(0, CASE WHEN started_over THEN rows ELSE rows - b_rows END),
             greatest(0, CASE WHEN started_over THEN shared_blks_hit ELSE shared_blks_hit - b_hit END),
             greatest(0, CASE WHEN started_over THEN shared_blks_read ELSE shared_blks_read - b_read END)
      FROM d
      WHERE CASE WHEN started_over THEN calls ELSE calls - b_calls END > 0
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM ins)::int AS statements,
           (SELECT count(*) FROM d WHERE started_over AND NOT unseen AND NOT ${resetDetected})::int AS restarted`;
  const { statements, restarted } = counts!;
  if (statements > 0) {
    // Texts for statements not seen before (reading texts is the expensive part of pg_stat_statements: only when needed).
    await tx`
      INSERT INTO ${tx(S)}.statement_texts (queryid, query, last_seen)
      SELECT DISTINCT ON (p.queryid) p.queryid, p.query, now()
      FROM pg_stat_statements(true) p
      WHERE p.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND p.queryid IN (SELECT d.queryid FROM ${tx(S)}.statement_deltas d WHERE d.capture_id = ${captureId}::bigint
                          AND NOT EXISTS (SELECT 1 FROM ${tx(S)}.statement_texts t WHERE t.queryid = d.queryid))
      ON CONFLICT (queryid) DO NOTHING`;
    await tx`
      UPDATE ${tx(S)}.statement_texts t SET last_seen = now()
      WHERE t.queryid IN (SELECT queryid FROM ${tx(S)}.statement_deltas WHERE capture_id = ${captureId})`;
  }
  return { statements, restarted };
}
