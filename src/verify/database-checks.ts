// The database-wide checks of a verification run, each with its threshold
// and, when it fails, the fix. Only `gating` checks can fail the run (exit 5);
// the others are reported for the operator.
import { checkPgStatStatements } from "../checks/pg-stat-statements.ts";
import { CACHE_HIT_RATIO_MIN, cacheHitRatio, INDEX_USAGE_RATIO_MIN, meetsCacheHitGoal, meetsIndexUsageGoal } from "../checks/database-health.ts";
import { findInvalidIndexes, findRedundantIndexes, findUnusedIndexes, statsResetAt } from "../checks/index-health.ts";
import { findSettingsDrift } from "../checks/settings-drift.ts";
import type { Sql } from "../db/index.ts";
import { SERVER_SETTINGS } from "../settings/server-settings.ts";
import type { WorkloadDelta } from "./workload-counters.ts";
import { formatPercent } from "../base/format.ts";
import { checkFreshness, type RollupFreshness } from "../rollups/index.ts";
import type { UnsetVisibilityMap, XminHolder } from "../checks/xmin-horizon.ts";

/** Found before the catalog run (verify's preflight), judged with the other checks. */
export interface Preflight {
  readonly freshness: readonly RollupFreshness[];
  /** Tables whose visibility map is mostly unset, and who holds the xmin horizon back. */
  readonly visibility: { readonly tables: readonly UnsetVisibilityMap[]; readonly holders: readonly XminHolder[] };
}

/** Fewer scans / buffer accesses than this and a ratio says nothing: "insufficient data". */
export const MIN_SCANS_FOR_RATIO = 20;
export const MIN_BLOCKS_FOR_RATIO = 100;

export type CheckStatus = "pass" | "fail" | "warn" | "info" | "insufficient data";

export interface DatabaseCheck {
  readonly name: string;
  readonly status: CheckStatus;
  /** A failing gating check fails the run (exit 5). */
  readonly gating: boolean;
  readonly summary: string;
  readonly value?: number | null;
  readonly threshold?: string;
  readonly fix?: string;
  readonly details?: unknown;
}

const pct = (x: number) => formatPercent(x);

/**
 * `preflight`: what verify found before measuring (the rollups as the run
 * began, so a long run does not age the view it judges; the visibility map).
 */
export async function runDatabaseChecks(sql: Sql, workload: WorkloadDelta, preflight?: Preflight): Promise<DatabaseCheck[]> {
  const checks: DatabaseCheck[] = [await pgStatStatementsCheck(sql), await cacheHitCheck(sql, workload), indexUsageCheck(workload), ...(await indexChecks(sql))];
  checks.push(rollupFreshnessCheck(preflight?.freshness ?? (await checkFreshness(sql))));
  if (preflight) checks.push(visibilityMapCheck(preflight.visibility));
  return checks;
}

async function pgStatStatementsCheck(sql: Sql): Promise<DatabaseCheck> {
  const stat = await checkPgStatStatements(sql);
  return {
    name: "pg_stat_statements",
    status: stat.ok ? "pass" : "fail",
    gating: false,
    summary: stat.ok ? "installed, preloaded, created and readable" : `not ready at step '${stat.failedStep}'`,
    ...(stat.ok ? {} : { fix: stat.steps.find((s) => !s.ok)?.fix }),
    details: stat.steps,
  };
}

/** Over the measured runs only (timed + EXPLAIN; the warm-up happened before the snapshot). */
async function cacheHitCheck(sql: Sql, workload: WorkloadDelta): Promise<DatabaseCheck> {
  const blocks = workload.heapHit + workload.heapRead + workload.idxHit + workload.idxRead;
  const hitRatio = blocks === 0 ? null : (workload.heapHit + workload.idxHit) / blocks;
  const sinceReset = await cacheHitRatio(sql);
  return {
    name: "cache hit ratio",
    status: hitRatio === null || blocks < MIN_BLOCKS_FOR_RATIO ? "insufficient data" : meetsCacheHitGoal(hitRatio) ? "pass" : "warn",
    gating: false,
    value: hitRatio,
    threshold: `> ${pct(CACHE_HIT_RATIO_MIN)}`,
    summary:
      hitRatio === null || blocks < MIN_BLOCKS_FOR_RATIO
        ? `insufficient data: ${blocks} buffer accesses during the measured runs`
        : `${pct(hitRatio)} of ${blocks.toLocaleString("en-US")} buffer accesses during the measured runs after warm-up (since the counters started: tables ${sinceReset.tables === null ? "-" : pct(sinceReset.tables)}, indexes ${sinceReset.indexes === null ? "-" : pct(sinceReset.indexes)})`,
    ...(hitRatio !== null && !meetsCacheHitGoal(hitRatio) ? { fix: "The working set does not fit in shared_buffers: raise shared_buffers (src/settings/server-settings.ts) or the server's memory." } : {}),
    details: { workload: { heapHit: workload.heapHit, heapRead: workload.heapRead, idxHit: workload.idxHit, idxRead: workload.idxRead }, sinceReset },
  };
}

function indexUsageCheck(workload: WorkloadDelta): DatabaseCheck {
  const scans = workload.idxScans + workload.seqScans;
  const usage = scans === 0 ? null : workload.idxScans / scans;
  return {
    name: "index usage ratio",
    status: usage === null || scans < MIN_SCANS_FOR_RATIO ? "insufficient data" : meetsIndexUsageGoal(usage) ? "pass" : "warn",
    gating: false,
    value: usage,
    threshold: `> ${pct(INDEX_USAGE_RATIO_MIN)} (idx_scan / (idx_scan + seq_scan))`,
    summary:
      usage === null || scans < MIN_SCANS_FOR_RATIO
        ? `insufficient data: ${scans} table scans counted during the measured runs`
        : `${pct(usage)}: ${workload.idxScans} index scans, ${workload.seqScans} sequential scans during the measured runs (counters are database-wide: other sessions add to them)`,
    details: workload.tables,
  };
}

/** Invalid, unused and redundant indexes, and the server settings against src/settings/server-settings.ts. */
async function indexChecks(sql: Sql): Promise<DatabaseCheck[]> {
  const checks: DatabaseCheck[] = [];
  const invalid = await findInvalidIndexes(sql);
  checks.push(findingsCheck("invalid indexes", invalid, {
    status: "fail",
    gating: true,
    threshold: "0",
    summary: () => `${invalid.length}: ${invalid.map((i) => i.index).join(", ")}`,
    fix: "An interrupted CREATE INDEX CONCURRENTLY left them: DROP INDEX CONCURRENTLY IF EXISTS <name>; then 'npm run migrate' builds them again.",
  }));

  const unused = await findUnusedIndexes(sql);
  const resetAt = await statsResetAt(sql);
  checks.push(findingsCheck("unused indexes", unused, {
    status: "info",
    summary: () => `${unused.length} never scanned since ${resetAt ? resetAt.toISOString() : "the counters started"}: ${unused.map((u) => u.index).join(", ")}`,
  }));

  const redundant = await findRedundantIndexes(sql);
  checks.push(findingsCheck("redundant indexes", redundant, {
    status: "warn",
    summary: () => redundant.map((r) => `${r.index} (covered by ${r.coveredBy})`).join(", "),
    fix: "Drop the covered index in a migration (DROP INDEX CONCURRENTLY) after checking no query needs it.",
  }));

  const differing = await findSettingsDrift(sql);
  checks.push(findingsCheck("server settings", differing, {
    status: "warn",
    passSummary: `all ${SERVER_SETTINGS.length} match src/settings/server-settings.ts`,
    summary: () => `${differing.length} of ${SERVER_SETTINGS.length} differ: ${differing.map((d) => `${d.name} = ${d.actual ?? "(unknown)"} (expected ${d.expected})`).join(", ")}`,
    fix: "Apply src/settings/server-settings.ts to the server (the embedded server and the Pulumi container do; a managed server needs its parameter group changed).",
  }));
  return checks;
}

/**
 * The rollups the analytics entries read: a trigger rollup must equal the
 * raw aggregate on a sampled window, a view must be younger than its stated
 * staleness; either failing means the dashboards show wrong numbers.
 */
function rollupFreshnessCheck(freshness: readonly RollupFreshness[]): DatabaseCheck {
  const stale = freshness.filter((f) => !f.fresh);
  const summary = freshness.length === 0 ? "no rollups in this database (migrations 000071-000078 not applied)" : freshness.map((f) => `${f.table}: ${f.summary}`).join("; ");
  return findingsCheck("rollup freshness", stale, {
    status: "fail",
    gating: true,
    threshold: "every rollup equals its raw aggregate; every view within its staleness; every search side table equals its base rows and lags within its staleness",
    passSummary: summary,
    summary: () => summary,
    fix: stale
      .map((f) =>
        f.kind === "view"
          ? `${f.table} is stale: run 'npm run refresh' now and keep 'npm run serve' or a cron of 'npm run refresh' running.`
          : f.kind === "search" && !f.mismatches
            ? `${f.table} lags: run 'npm run refresh' now and keep 'npm run serve' or a cron of 'npm run refresh' running; if it stays behind, a writer's transaction open on its source holds the fill back (the searches stay exact, but scan the unindexed rows).`
            : `${f.table} disagrees with its raw table (first: ${f.mismatches?.[0] ?? "?"}): something wrote with its triggers disabled (session_replication_role = replica, ALTER TABLE ... DISABLE TRIGGER); rebuild it ('npm run seed' rebuilds generated data) and find that writer.`,
      )
      .join(" "),
    details: freshness,
  });
}

/**
 * Index-only scans read the heap for every page whose visibility-map bit is
 * unset: plans then touch more buffers than their budget. Reported as its own
 * finding, with who holds the horizon back, so the failing queries are not
 * mistaken for bad plans.
 */
function visibilityMapCheck(visibility: Preflight["visibility"]): DatabaseCheck {
  const { tables, holders } = visibility;
  return findingsCheck("visibility map", tables, {
    status: "warn",
    threshold: "every table of 100 pages or more at least 50% all-visible (pg_class.relallvisible)",
    passSummary: "set on every table",
    summary: () =>
      `mostly unset on ${tables.map((t) => `${t.table} (${t.allVisible} of ${t.pages} pages)`).join(", ")}: index-only scans on them read the heap. ` +
      (holders.length > 0 ? `Held back by ${holders.map((h) => `${h.kind} ${h.name} (xmin age ${h.age})`).join(", ")}.` : "Nothing holds the horizon back now: the last VACUUM ran while something did, or none ran since the load."),
    fix: `${holders.map((h) => `${h.kind} ${h.name}: ${h.fix}`).join("; ")}${holders.length > 0 ? "; then " : ""}VACUUM (ANALYZE) ${tables.map((t) => t.table).join(", ")}, and verify again.`,
    details: visibility,
  });
}

/** A check that passes when it finds nothing; its findings (or the `details` given) are listed in `details`, the fix shown only when there are findings. */
function findingsCheck(
  name: string,
  findings: readonly unknown[],
  verdict: { status: CheckStatus; gating?: boolean; threshold?: string; passSummary?: string; summary: () => string; fix?: string; details?: unknown },
): DatabaseCheck {
  const found = findings.length > 0;
  return {
    name,
    status: found ? verdict.status : "pass",
    gating: verdict.gating ?? false,
    value: findings.length,
    ...(verdict.threshold === undefined ? {} : { threshold: verdict.threshold }),
    summary: found ? verdict.summary() : (verdict.passSummary ?? "none"),
    ...(found && verdict.fix ? { fix: verdict.fix } : {}),
    details: verdict.details ?? findings,
  };
}
