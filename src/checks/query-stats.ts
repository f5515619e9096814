// Top statements from pg_stat_statements (this database only), by mean or
// total execution time. Shared by the health API and maintenance. Call
// checkPgStatStatements first: this assumes the extension is ready.
import type { Sql } from "../db/index.ts";

export type StatementOrder = "mean" | "total";

export interface TopStatement {
  readonly queryId: string;
  /** Normalized text (constants replaced by $n by pg_stat_statements). */
  readonly query: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly maxMs: number;
  readonly rows: number;
  /** Shared-buffer hit ratio of this statement; null when it read no blocks. */
  readonly cacheHitRatio: number | null;
}

/** Longest texts are cut: the API answers stay small (full text: pg_stat_statements). */
export const STATEMENT_TEXT_MAX = 500;

export async function topStatements(sql: Sql, order: StatementOrder, limit = 10): Promise<TopStatement[]> {
  const orderBy = order === "mean" ? sql`mean_exec_time` : sql`total_exec_time`;
  return sql<TopStatement[]>`
    SELECT queryid::text AS "queryId", left(regexp_replace(query, '\\s+', ' ', 'g'), ${STATEMENT_TEXT_MAX}) AS query, calls,
           round(total_exec_time::numeric, 3)::float8 AS "totalMs", round(mean_exec_time::numeric, 3)::float8 AS "meanMs",
           round(max_exec_time::numeric, 3)::float8 AS "maxMs", rows,
           CASE WHEN shared_blks_hit + shared_blks_read = 0 THEN NULL
                ELSE round(shared_blks_hit::numeric / (shared_blks_hit + shared_blks_read), 4)::float8 END AS "cacheHitRatio"
    FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND query <> '<insufficient privilege>'
    ORDER BY ${orderBy} DESC, queryid
    LIMIT ${limit}`;
}

export interface StatementsResetResult {
  readonly reset: boolean;
  /** What was reset: this database's entries only (other databases on the server keep theirs). */
  readonly scope?: string;
  /** Why not, when not (e.g. the role lacks the privilege). */
  readonly reason?: string;
}

/**
 * Resets this database's pg_stat_statements entries, when the role may call the function
 * (superuser or granted EXECUTE). Only this database's: the no-argument form wipes the
 * statistics of every database on the server, i.e. of other applications sharing it.
 * The (userid, dbid, queryid) form exists since PostgreSQL 12; 0 means "any".
 */
export async function resetStatementStats(sql: Sql): Promise<StatementsResetResult> {
  try {
    const [row] = await sql<{ datname: string }[]>`
      SELECT d.datname, pg_stat_statements_reset(0, d.oid, 0)
      FROM pg_database d WHERE d.datname = current_database()`;
    return { reset: true, scope: `database "${row?.datname}" only` };
  } catch (error) {
    const e = error as { code?: string };
    if (e.code === "42501") return { reset: false, reason: "this role may not call pg_stat_statements_reset() (GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO <role>)" };
    if (e.code === "42883" || e.code === "55000") return { reset: false, reason: "pg_stat_statements is not installed or not preloaded" };
    throw error;
  }
}
