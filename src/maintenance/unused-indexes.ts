// "Unused index" is a judgement over a period: zero scans mean nothing when
// the counters were reset yesterday, when the server does not count scans
// (track_counts off), or when the monitoring it relies on (pg_stat_statements)
// is not set up. In those cases the report says what it cannot judge and
// lists the zero-scan indexes only as candidates, never as unused.
import type { Sql } from "../db/index.ts";
import { findUnusedIndexes, statsResetAt, type IndexUsage } from "../checks/index-health.ts";
import type { StatStatementsStatus } from "../checks/pg-stat-statements.ts";

/** Counters younger than this cannot show that an index is unused (a weekly or monthly job may not have run yet). */
export const UNUSED_MIN_STATS_DAYS = 7;

export interface CountersAge {
  /** Start of the counters: pg_stat_database.stats_reset, or (never reset) the server start as a lower bound. */
  readonly since: Date;
  readonly source: "stats_reset" | "server start (never reset: counters are at least this old)";
  readonly days: number;
  readonly trackCounts: boolean;
}

export async function countersAge(sql: Sql): Promise<CountersAge> {
  const reset = await statsResetAt(sql);
  const [row] = await sql<{ start: Date; now: Date; trackCounts: boolean }[]>`
    SELECT pg_postmaster_start_time() AS start, now() AS now, current_setting('track_counts')::bool AS "trackCounts"`;
  const since = reset ?? row!.start;
  return {
    since,
    source: reset ? "stats_reset" : "server start (never reset: counters are at least this old)",
    days: (row!.now.getTime() - since.getTime()) / 86_400_000,
    trackCounts: row!.trackCounts,
  };
}

export interface UnusedIndexReport {
  /** "judged": `indexes` are unused; "not-enough-data": `indexes` are only zero-scan candidates. */
  readonly verdict: "judged" | "not-enough-data";
  /** Why nothing can be judged yet (null when judged). */
  readonly reason: string | null;
  readonly counters: CountersAge;
  readonly minDays: number;
  readonly indexes: readonly IndexUsage[];
}

export async function reportUnusedIndexes(sql: Sql, statStatements: StatStatementsStatus, options: { schema?: string; minDays?: number } = {}): Promise<UnusedIndexReport> {
  const minDays = options.minDays ?? UNUSED_MIN_STATS_DAYS;
  const counters = await countersAge(sql);
  const indexes = await findUnusedIndexes(sql, options.schema ?? "public");
  let reason: string | null = null;
  if (!counters.trackCounts) reason = "track_counts is off: the server does not count index scans";
  else if (counters.days < minDays) {
    reason = `the scan counters cover ${counters.days < 1 ? `${(counters.days * 24).toFixed(1)} hours` : `${counters.days.toFixed(1)} days`}; at least ${minDays} days are needed`;
  } else if (!statStatements.ok) reason = `pg_stat_statements is not ready (${statStatements.failedStep}): the workload behind the counters cannot be checked`;
  return { verdict: reason ? "not-enough-data" : "judged", reason, counters, minDays, indexes };
}
